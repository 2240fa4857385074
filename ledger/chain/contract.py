"""A typed wrapper around the LedgerAnchor contract: one method per contract function.

Requests go through :class:`~ledger.chain.rpc.Rpc` (a revert raises :class:`AnchorRejected` with
the decoded custom error); transactions are signed locally by a
:class:`~ledger.chain.signer.Signer`.
"""

from __future__ import annotations

from typing import Any, cast

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import BadFunctionCallOutput
from web3.logs import DISCARD

from ledger.chain.artifact import ledger_anchor_artifact
from ledger.chain.base import AnchoredBatch, ChainError, SignedAnchor, TxRejected, TxStatus
from ledger.chain.rpc import Rpc, send_raw, wait_mined
from ledger.chain.signer import ANCHOR_GAS_LIMIT, ROLE_GAS_LIMIT, Signer

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class LedgerAnchorContract:
    """One method per contract function. Views return Python values; transactions need a
    :class:`Signer`, are simulated first (so a revert raises :class:`AnchorRejected` with the
    decoded custom error), then signed, sent with explicit gas, and awaited."""

    def __init__(self, rpc: Rpc, address: str, signer: Signer | None = None) -> None:
        self._rpc = rpc
        self._signer = signer
        self.address = to_checksum_address(address)
        self._contract = rpc.w3.eth.contract(
            address=self.address, abi=cast(Any, ledger_anchor_artifact().abi)
        )
        self._caller = signer.address if signer is not None else ZERO_ADDRESS

    # Views

    def _call(self, fn: str, *args: Any) -> Any:
        try:
            with self._rpc.guard():
                return self._contract.functions[fn](*args).call({"from": self._caller})
        except BadFunctionCallOutput as exc:
            raise ChainError(f"no LedgerAnchor contract at {self.address} on this chain") from exc

    def recorder_role(self) -> bytes:
        return bytes(self._call("RECORDER_ROLE"))

    def default_admin_role(self) -> bytes:
        return bytes(self._call("DEFAULT_ADMIN_ROLE"))

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self._call("hasRole", role, to_checksum_address(account)))

    def get_role_admin(self, role: bytes) -> bytes:
        return bytes(self._call("getRoleAdmin", role))

    def supports_interface(self, interface_id: bytes) -> bool:
        return bool(self._call("supportsInterface", interface_id))

    def last_anchored_seq(self) -> int:
        return int(self._call("lastAnchoredSeq"))

    def batch_count(self) -> int:
        return int(self._call("batchCount"))

    def batch(self, batch_id: int) -> AnchoredBatch:
        """Raises AnchorRejected("UnknownBatch", (batch_id,)) when there is no such batch."""
        root, first_seq, last_seq = self._call("batch", batch_id)
        return AnchoredBatch(batch_id, bytes(root), int(first_seq), int(last_seq))

    def verify(self, batch_id: int, seq: int, entry_hash: bytes, proof: list[bytes]) -> bool:
        return bool(self._call("verify", batch_id, seq, entry_hash, proof))

    def anchored_in(self, tx_hash: bytes) -> list[AnchoredBatch]:
        """The ``Anchored`` events of one mined transaction (from its receipt: no log scan)."""
        with self._rpc.guard():
            receipt = self._rpc.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            events = self._contract.events.Anchored().process_receipt(receipt, errors=DISCARD)
        return [
            AnchoredBatch(
                int(e["args"]["batchId"]),
                bytes(e["args"]["root"]),
                int(e["args"]["firstSeq"]),
                int(e["args"]["lastSeq"]),
            )
            for e in events
        ]

    # Transactions

    def anchor_calldata(self, root: bytes, first_seq: int, last_seq: int) -> bytes:
        return bytes.fromhex(
            self._contract.encode_abi("anchor", [root, first_seq, last_seq]).removeprefix("0x")
        )

    def sign_anchor(self, root: bytes, first_seq: int, last_seq: int) -> SignedAnchor:
        """Sign ``anchor`` without simulating or sending it."""
        data = self.anchor_calldata(root, first_seq, last_seq)
        return self._require_signer().sign(self.address, data, ANCHOR_GAS_LIMIT)

    def sign_replacement(self, raw: bytes) -> SignedAnchor:
        """Re-sign a pending transaction with the same nonce and higher fees."""
        return self._require_signer().sign_replacement(raw)

    def check_anchor(self, root: bytes, first_seq: int, last_seq: int) -> None:
        """Simulate ``anchor`` from the signer: raises AnchorRejected if it would revert."""
        self._simulate(self.anchor_calldata(root, first_seq, last_seq))

    def anchor(self, root: bytes, first_seq: int, last_seq: int) -> TxStatus:
        return self._transact("anchor", [root, first_seq, last_seq], ANCHOR_GAS_LIMIT)

    def grant_role(self, role: bytes, account: str) -> TxStatus:
        return self._transact("grantRole", [role, to_checksum_address(account)], ROLE_GAS_LIMIT)

    def revoke_role(self, role: bytes, account: str) -> TxStatus:
        return self._transact("revokeRole", [role, to_checksum_address(account)], ROLE_GAS_LIMIT)

    def renounce_role(self, role: bytes, account: str) -> TxStatus:
        args = [role, to_checksum_address(account)]
        return self._transact("renounceRole", args, ROLE_GAS_LIMIT)

    def _require_signer(self) -> Signer:
        if self._signer is None:
            raise ChainError("read-only connection: no recorder key")
        return self._signer

    def _simulate(self, data: bytes) -> None:
        signer = self._require_signer()
        call: dict[str, Any] = {"from": signer.address, "to": self.address, "data": data}
        with self._rpc.guard():
            self._rpc.w3.eth.call(cast(Any, call))

    def _transact(self, fn: str, args: list[Any], gas: int) -> TxStatus:
        data = bytes.fromhex(self._contract.encode_abi(fn, args).removeprefix("0x"))
        self._simulate(data)
        signed = self._require_signer().sign(self.address, data, gas)
        send_raw(self._rpc, signed.raw)
        status = wait_mined(self._rpc, signed.tx_hash)
        if not status.succeeded:
            raise TxRejected(f"{fn} transaction 0x{signed.tx_hash.hex()} reverted when mined")
        return status
