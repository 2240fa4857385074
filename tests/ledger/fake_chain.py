"""An in-memory AnchorChain for fast unit tests of the worker (never instead of the real
backends in integration tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.canonical import keccak256
from ledger.chain.base import (
    AnchorChain,
    AnchoredBatch,
    AnchorRejected,
    ChainError,
    ChainUnavailable,
    SignedAnchor,
    TxStatus,
)
from ledger.merkle import leaf_hash, verify_proof

FAKE_CHAIN_ID = 31337
FAKE_CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@dataclass
class FakeChain:
    """Automines each sent transaction into its own block; ``down`` makes every call fail."""

    down: bool = False
    automine: bool = True
    batches: list[AnchoredBatch] = field(default_factory=list)
    mined: dict[bytes, int] = field(default_factory=dict)  # tx hash -> block
    signed: dict[bytes, tuple[bytes, int, int, int]] = field(default_factory=dict)
    mempool: list[bytes] = field(default_factory=list)
    used_nonces: set[int] = field(default_factory=set)
    head: int = 1
    next_nonce: int = 0
    sends: int = 0

    def _up(self) -> None:
        if self.down:
            raise ChainUnavailable("fake node is down")

    @property
    def chain_id(self) -> int:
        return FAKE_CHAIN_ID

    @property
    def contract_address(self) -> str:
        return FAKE_CONTRACT

    def block_number(self) -> int:
        self._up()
        return self.head

    def last_anchored_seq(self) -> int:
        self._up()
        return self.batches[-1].last_seq if self.batches else 0

    def batch_count(self) -> int:
        self._up()
        return len(self.batches)

    def batch(self, batch_id: int) -> AnchoredBatch | None:
        self._up()
        return self.batches[batch_id - 1] if 1 <= batch_id <= len(self.batches) else None

    def verify_inclusion(
        self, batch_id: int, seq: int, entry_hash: bytes, proof: list[bytes]
    ) -> bool:
        b = self.batch(batch_id)
        if b is None or not b.first_seq <= seq <= b.last_seq:
            return False
        return verify_proof(b.root, leaf_hash(seq, entry_hash), proof)

    def sign_anchor(self, root: bytes, first_seq: int, last_seq: int) -> SignedAnchor:
        self._up()
        nonce = self.next_nonce
        self.next_nonce += 1
        raw = b"anchor" + root + first_seq.to_bytes(8, "big") + last_seq.to_bytes(8, "big")
        raw += nonce.to_bytes(8, "big")
        tx_hash = keccak256(raw)
        self.signed[tx_hash] = (root, first_seq, last_seq, nonce)
        return SignedAnchor(tx_hash=tx_hash, raw=raw, nonce=nonce)

    def check_anchor(self, root: bytes, first_seq: int, last_seq: int) -> None:
        self._up()
        expected = self.last_anchored_seq() + 1
        if first_seq != expected:
            raise AnchorRejected("AnchorNotContiguous", (expected, first_seq))

    def sign_replacement(self, raw: bytes) -> SignedAnchor:
        """The same anchor and nonce, another hash (the fees are not modelled)."""
        self._up()
        replacement = raw + b"+"
        tx_hash = keccak256(replacement)
        self.signed[tx_hash] = self.signed[keccak256(raw)]
        return SignedAnchor(tx_hash=tx_hash, raw=replacement, nonce=self.signed[tx_hash][3])

    def send_raw(self, raw: bytes) -> bytes:
        self._up()
        tx_hash = keccak256(raw)
        if tx_hash in self.mined or tx_hash in self.mempool:
            return tx_hash
        _, _, _, nonce = self.signed[tx_hash]
        if nonce in self.used_nonces:
            raise ChainError("nonce too low")
        self.sends += 1
        # A transaction with the nonce of one in the pool replaces it.
        self.mempool = [h for h in self.mempool if self.signed[h][3] != nonce]
        self.mempool.append(tx_hash)
        if self.automine:
            self.mine()
        return tx_hash

    def mine(self) -> None:
        for tx_hash in self.mempool:
            root, first, last, nonce = self.signed[tx_hash]
            self.head += 1
            self.used_nonces.add(nonce)
            expected = (self.batches[-1].last_seq if self.batches else 0) + 1
            if first != expected:
                raise AnchorRejected("AnchorNotContiguous", (expected, first))
            self.batches.append(AnchoredBatch(len(self.batches) + 1, root, first, last))
            self.mined[tx_hash] = self.head
        self.mempool.clear()

    def reorg_last(self) -> None:
        """Drop the last anchored batch's block; its tx returns to the mempool."""
        tx_hash = max(self.mined, key=lambda h: self.mined[h])
        del self.mined[tx_hash]
        self.batches.pop()
        self.used_nonces.discard(self.signed[tx_hash][3])
        self.mempool.append(tx_hash)

    def tx_status(self, tx_hash: bytes) -> TxStatus | None:
        self._up()
        block = self.mined.get(tx_hash)
        return None if block is None else TxStatus(tx_hash, block, True)

    def anchored_in(self, tx_hash: bytes) -> list[AnchoredBatch]:
        self._up()
        if tx_hash not in self.mined:
            return []
        root, first, _, _ = self.signed[tx_hash]
        return [b for b in self.batches if (b.root, b.first_seq) == (root, first)]

    def close(self) -> None:
        pass


def _typecheck(chain: FakeChain) -> AnchorChain:
    return chain
