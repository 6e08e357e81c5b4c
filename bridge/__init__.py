"""Everything that moves assets or messages between the consortium ledger and Ethereum."""
