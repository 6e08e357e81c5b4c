"""The bridge between the consortium ledger and Ethereum.

``bridge.codec`` is the message format both chains share; ``bridge.ledger_module`` is the
bridge's side of the consortium ledger (locks, releases, refunds, lane halts), installed on a
ledger when a lane is opened; ``bridge.gateway`` deploys the Ethereum contracts; ``bridge.attestation`` is what
consortium validators sign about Ethereum; ``bridge.relayer`` carries messages with a durable
checkpoint; ``bridge.monitor`` checks the invariants; ``bridge.bridge`` joins it all;
``bridge.faults`` injects the named incidents.
"""

from rwasim.bridge.codec import BridgeMessage, asset_key, attestation_digest, message_id, rejection_id

__all__ = ["BridgeMessage", "asset_key", "attestation_digest", "message_id", "rejection_id"]
