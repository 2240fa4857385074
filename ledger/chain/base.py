"""The chain seam: one interface, two backends chosen by URL.

``eth-tester://PATH`` runs the in-process EVM (state kept under PATH across restarts);
``http(s)://HOST`` is any EVM JSON-RPC node. Nothing above this module knows which it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ChainError(Exception):
    """Root of the ledger's chain errors."""


class ChainUnavailable(ChainError):
    """The node cannot be reached; the caller should back off and retry."""


class ChainInUse(ChainUnavailable):
    """An ``eth-tester://`` chain directory is held by another process (only one may write it)."""


class AnchorRejected(ChainError):
    """The contract reverted; ``error_name`` and ``error_args`` decode its custom error."""

    def __init__(self, error_name: str, error_args: tuple[object, ...] = ()) -> None:
        args = ", ".join("0x" + a.hex() if isinstance(a, bytes) else str(a) for a in error_args)
        super().__init__(f"{error_name}({args})")
        self.error_name = error_name
        self.error_args = error_args


class TxRejected(ChainError):
    """The node refused a transaction (bad nonce, fee, funds), or it reverted when mined."""


@dataclass(frozen=True)
class AnchoredBatch:
    batch_id: int
    root: bytes
    first_seq: int
    last_seq: int


@dataclass(frozen=True)
class SignedAnchor:
    """An anchor transaction signed locally: its hash is known before it is sent."""

    tx_hash: bytes
    raw: bytes
    nonce: int


@dataclass(frozen=True)
class TxStatus:
    tx_hash: bytes
    block_number: int
    succeeded: bool


class AnchorChain(Protocol):
    """A connection to one chain and one LedgerAnchor contract on it."""

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> str:
        """Checksummed address of the LedgerAnchor contract."""
        ...

    def block_number(self) -> int: ...

    def last_anchored_seq(self) -> int: ...

    def batch_count(self) -> int: ...

    def batch(self, batch_id: int) -> AnchoredBatch | None: ...

    def verify_inclusion(
        self, batch_id: int, seq: int, entry_hash: bytes, proof: list[bytes]
    ) -> bool:
        """The contract's own ``verify`` view: False for a bad proof or a seq outside the batch;
        raises AnchorRejected("UnknownBatch", (batch_id,)) when no batch has that id."""
        ...

    def sign_anchor(self, root: bytes, first_seq: int, last_seq: int) -> SignedAnchor:
        """Sign ``anchor(root, firstSeq, lastSeq)`` with the recorder key and explicit gas."""
        ...

    def check_anchor(self, root: bytes, first_seq: int, last_seq: int) -> None:
        """Simulate ``anchor`` from the recorder at the latest block: raises AnchorRejected with
        the contract's custom error when it would revert."""
        ...

    def sign_replacement(self, raw: bytes) -> SignedAnchor:
        """Re-sign the recorder's transaction ``raw`` with the same nonce and both EIP-1559 fees
        raised by at least 12.5 % (what nodes require to replace a pending transaction)."""
        ...

    def send_raw(self, raw: bytes) -> bytes:
        """Broadcast a signed transaction; return its hash. Idempotent for a known tx."""
        ...

    def tx_status(self, tx_hash: bytes) -> TxStatus | None:
        """The mined receipt, or None while the transaction is not in a block."""
        ...

    def anchored_in(self, tx_hash: bytes) -> list[AnchoredBatch]:
        """The batches the contract's ``Anchored`` events in that mined transaction record."""
        ...

    def close(self) -> None: ...
