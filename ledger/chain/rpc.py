"""The node connection and its transaction plumbing.

Every request to the node goes through :class:`Rpc`, which holds the connection's lock (eth-tester
is not thread-safe) and translates failures at the boundary: a revert becomes
:class:`AnchorRejected` with the custom error's name and decoded arguments, an unreachable node
:class:`ChainUnavailable`. ``send_raw``, ``tx_status`` and ``wait_mined`` broadcast a signed
transaction and follow it into a block.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)

from ledger.chain.artifact import ContractArtifact, ledger_anchor_artifact
from ledger.chain.base import AnchorRejected, ChainError, ChainUnavailable, TxRejected, TxStatus

TX_WAIT_S_MAX = 120.0
# JSON-RPC errors that say the node failed, not the request (EIP-1474: internal error, resource
# unavailable, limit exceeded): the caller backs off and asks again, as for an unreachable node.
# Others (e.g. -32000, a transaction the node refuses) are answers about the request itself.
NODE_FAILURE_CODES = frozenset({-32603, -32002, -32005})


def decode_revert(data: bytes, artifact: ContractArtifact | None = None) -> AnchorRejected:
    """Name and arguments of the error that ``data`` (a revert's return data) encodes."""
    errors = (artifact or ledger_anchor_artifact()).errors_by_selector
    if len(data) < 4:
        return AnchorRejected("Reverted", (data,) if data else ())
    known = errors.get(data[:4])
    if known is None:
        return AnchorRejected("UnknownError", (data,))
    name, types = known
    try:
        values = abi_decode(types, data[4:])
    except DecodingError:
        return AnchorRejected(name, (data,))
    args = tuple(
        to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
    )
    return AnchorRejected(name, args)


def _revert_data(exc: ContractLogicError) -> bytes:
    data = exc.data
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."} or {"message": ...}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


def _error_code(exc: Web3RPCError) -> int | None:
    error = (exc.rpc_response or {}).get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) else None


class Rpc:
    """One node connection: ``with rpc.guard():`` around every request."""

    def __init__(self, w3: Web3, lock: threading.RLock) -> None:
        self.w3 = w3
        self.lock = lock

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        with self.lock:
            try:
                yield
            except ContractLogicError as exc:
                raise decode_revert(_revert_data(exc)) from exc
            except (OSError, ProviderConnectionError, TimeExhausted) as exc:
                # requests' exceptions derive from OSError (IOError).
                raise ChainUnavailable(f"chain node unreachable: {exc}") from exc
            except Web3RPCError as exc:
                if _error_code(exc) in NODE_FAILURE_CODES:
                    raise ChainUnavailable(f"chain node failed: {exc}") from exc
                raise

    def raw_request(self, method: str, params: list[Any]) -> Any:
        """A JSON-RPC call outside web3's typed API (test-only powers use it)."""
        with self.guard():
            response = self.w3.provider.make_request(cast(Any, method), params)
        if "error" in response:
            raise ChainError(f"{method}: {response['error']}")
        return response.get("result")


def send_raw(rpc: Rpc, raw: bytes) -> bytes:
    """Broadcast a signed transaction; return its hash. A transaction the node already knows
    ("already known", "nonce too low" for this very hash) is not an error."""
    tx_hash = keccak(raw)
    try:
        with rpc.guard():
            rpc.w3.eth.send_raw_transaction(raw)
    except Web3RPCError as exc:
        if is_known(rpc, tx_hash):
            return tx_hash
        message = exc.rpc_response.get("error", {}) if exc.rpc_response else exc
        raise TxRejected(f"node rejected transaction 0x{tx_hash.hex()}: {message}") from exc
    return tx_hash


def is_known(rpc: Rpc, tx_hash: bytes) -> bool:
    try:
        with rpc.guard():
            rpc.w3.eth.get_transaction(HexBytes(tx_hash))
    except TransactionNotFound:
        return False
    return True


def tx_status(rpc: Rpc, tx_hash: bytes) -> TxStatus | None:
    try:
        with rpc.guard():
            receipt = rpc.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    if receipt.get("blockNumber") is None:
        return None
    return TxStatus(
        tx_hash=tx_hash, block_number=int(receipt["blockNumber"]), succeeded=receipt["status"] == 1
    )


def wait_mined(rpc: Rpc, tx_hash: bytes, timeout_s: float = TX_WAIT_S_MAX) -> TxStatus:
    """Poll (outside the lock) until the transaction is in a block."""
    deadline = time.monotonic() + timeout_s
    delay_s = 0.02
    while True:
        status = tx_status(rpc, tx_hash)
        if status is not None:
            return status
        if time.monotonic() > deadline:
            raise ChainUnavailable(f"transaction 0x{tx_hash.hex()} not mined in {timeout_s}s")
        time.sleep(delay_s)
        delay_s = min(delay_s * 2, 1.0)
