"""Errors of the Ethereum side, and decoding of revert data into something a person reads.

A failed transaction never disappears: it is mined with status 0, its revert data is
decoded (``Error(string)``, ``Panic(uint256)`` or a custom error from any loaded ABI) and
the caller gets :class:`TransactionReverted` carrying the receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi import decode as abi_decode

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rwasim.ethereum.chain import Receipt

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to uninitialised function",
}


class ChainError(Exception):
    """The chain cannot be used as asked: unknown backend, unreachable URL, missing artifact."""


@dataclass(frozen=True)
class RevertInfo:
    """A decoded revert: the error's name, its arguments and a readable message."""

    error: str
    args: tuple[Any, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"error": self.error, "args": list(self.args), "message": self.message}


def decode_revert(data: bytes, custom_errors: dict[bytes, tuple[str, list[str], list[str]]]) -> RevertInfo:
    """Decode revert ``data`` using the standard errors and ``custom_errors``.

    Parameters
    ----------
    data : bytes
        The return data of the reverted call.
    custom_errors : dict
        selector -> (error name, argument names, argument types), from every loaded ABI.
    """
    if not data:
        return RevertInfo("Revert", (), "reverted without a reason (out of gas, or a bare revert)")
    selector, body = bytes(data[:4]), bytes(data[4:])
    try:
        if selector == ERROR_SELECTOR:
            (reason,) = abi_decode(["string"], body)
            return RevertInfo("Error", (reason,), reason)
        if selector == PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], body)
            return RevertInfo("Panic", (code,), f"panic 0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')}")
        if selector in custom_errors:
            name, arg_names, arg_types = custom_errors[selector]
            values = tuple(_plain(v, t) for v, t in zip(abi_decode(arg_types, body), arg_types))
            shown = ", ".join(f"{n}={v}" if n else str(v) for n, v in zip(arg_names, values))
            return RevertInfo(name, values, f"{name}({shown})")
    except Exception as exc:  # malformed revert data: report it rather than hide the failure
        return RevertInfo("Undecodable", (data.hex(),), f"revert data 0x{data.hex()} could not be decoded: {exc}")
    return RevertInfo("Unknown", (data.hex(),), f"unknown error selector 0x{selector.hex()}")


def _plain(value: Any, kind: str = "") -> Any:
    if kind == "address":
        from eth_utils import to_checksum_address

        return to_checksum_address(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        inner = kind[: kind.rindex("[")] if kind.endswith("]") else ""
        return tuple(_plain(v, inner) for v in value)
    return value


class TransactionReverted(ChainError):
    """A transaction was mined and reverted; ``receipt.revert`` says why.

    Attributes
    ----------
    receipt : Receipt
        The mined receipt (status false, gas used, the decoded revert).
    error : str
        Name of the error (``"Error"``, ``"Panic"`` or the custom error's name).
    args_decoded : tuple
        The error's decoded arguments.
    message : str
        A readable message.
    """

    def __init__(self, receipt: Receipt) -> None:
        revert = receipt.revert or RevertInfo("Revert", (), "reverted")
        self.receipt = receipt
        self.error = revert.error
        self.args_decoded = revert.args
        self.message = revert.message
        super().__init__(f"{receipt.contract}.{receipt.function} reverted: {revert.message}")
