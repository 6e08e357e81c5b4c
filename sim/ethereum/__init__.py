"""The Ethereum side: one chain interface over eth-tester, anvil or any JSON-RPC URL."""

from rwasim.ethereum.backends import AnvilBackend, Backend, EthTesterBackend, RpcBackend, make_backend
from rwasim.ethereum.chain import Contract, EthereumChain, Receipt
from rwasim.ethereum.errors import ChainError, RevertInfo, TransactionReverted

__all__ = [
    "AnvilBackend",
    "Backend",
    "EthTesterBackend",
    "RpcBackend",
    "make_backend",
    "Contract",
    "EthereumChain",
    "Receipt",
    "ChainError",
    "RevertInfo",
    "TransactionReverted",
]
