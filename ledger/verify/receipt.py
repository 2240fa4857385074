"""Receipt verification: parse and shape-check a receipt, check it offline (entry hash,
inclusion proof), against a pinned contract, and on the chain it names."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.canonical import NotCanonicalizable, canonical_json, from_hex, keccak256, to_hex
from ledger.chain.base import AnchorChain, ChainError
from ledger.errors import first_line
from ledger.journal import ENTRY_FIELDS
from ledger.limits import receipt_bytes_max
from ledger.merkle import leaf_hash, process_proof
from ledger.trust import Pin, shown_address
from ledger.verify.signer import entry_signer

RECEIPT_KEYS = frozenset({"entry", "entry_hash", "proof", "root", "batch", "anchor"})
BATCH_KEYS = frozenset({"id", "first_seq", "last_seq"})
ANCHOR_KEYS = frozenset({"chain_id", "contract", "tx_hash", "block_number"})
PROOF_LENGTH_MAX = 64  # a tree of 2**64 leaves


class ReceiptInvalid(Exception):
    """The receipt does not verify; the message is one line saying why."""


@dataclass(frozen=True)
class Receipt:
    entry: dict[str, Any]
    seq: int
    entry_hash: bytes
    proof: list[bytes]
    root: bytes
    batch_id: int
    first_seq: int
    last_seq: int
    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int


def _keys(obj: Any, keys: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ReceiptInvalid(f"malformed receipt: {where} must be a JSON object")
    missing, extra = sorted(keys - set(obj)), sorted(set(obj) - keys)
    wrong = ([f"missing keys {missing}"] if missing else []) + (
        [f"unexpected keys {extra}"] if extra else []
    )
    if wrong:
        raise ReceiptInvalid(f"malformed receipt: {where} has {' and '.join(wrong)}")
    return obj


def _uint(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise ReceiptInvalid(f"malformed receipt: {where} must be a non-negative integer")
    return value


def _hex(value: Any, where: str, length: int) -> bytes:
    try:
        return from_hex(value, length)
    except ValueError:
        raise ReceiptInvalid(
            f"malformed receipt: {where} must be 0x-prefixed hex of {length} bytes"
        ) from None


def parse_receipt(data: bytes | str) -> Receipt:
    """Parse and shape-check a receipt; raise ``ReceiptInvalid`` with a one-line reason."""
    if len(data) > receipt_bytes_max:
        raise ReceiptInvalid(f"receipt is larger than {receipt_bytes_max} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ReceiptInvalid(f"receipt is not valid JSON (truncated?): {first_line(exc)}") from None
    doc = _keys(doc, RECEIPT_KEYS, "the receipt")
    entry = _keys(doc["entry"], frozenset(ENTRY_FIELDS), "entry")
    batch = _keys(doc["batch"], BATCH_KEYS, "batch")
    anchor = _keys(doc["anchor"], ANCHOR_KEYS, "anchor")
    proof = doc["proof"]
    if not isinstance(proof, list) or len(proof) > PROOF_LENGTH_MAX:
        raise ReceiptInvalid("malformed receipt: proof must be a list of at most 64 hashes")
    contract = anchor["contract"]
    _hex(contract, "anchor.contract", 20)
    return Receipt(
        entry=entry,
        seq=_uint(entry["seq"], "entry.seq"),
        entry_hash=_hex(doc["entry_hash"], "entry_hash", 32),
        proof=[_hex(p, f"proof[{i}]", 32) for i, p in enumerate(proof)],
        root=_hex(doc["root"], "root", 32),
        batch_id=_uint(batch["id"], "batch.id"),
        first_seq=_uint(batch["first_seq"], "batch.first_seq"),
        last_seq=_uint(batch["last_seq"], "batch.last_seq"),
        chain_id=_uint(anchor["chain_id"], "anchor.chain_id"),
        contract=contract,
        tx_hash=_hex(anchor["tx_hash"], "anchor.tx_hash", 32),
        block_number=_uint(anchor["block_number"], "anchor.block_number"),
    )


def check_receipt_offline(receipt: Receipt) -> str | None:
    """Everything that needs no chain: the entry's hash, the proof up to the root, and the
    entry's signature where the entry holds what it signs (``signer.entry_signer``). Return
    that signer, checked to be the entry's actor; None when the entry does not let anyone
    recover it."""
    try:
        computed = keccak256(canonical_json(receipt.entry))
    except NotCanonicalizable as exc:
        raise ReceiptInvalid(f"entry cannot be canonicalised: {exc}") from None
    if computed != receipt.entry_hash:
        raise ReceiptInvalid(
            f"entry hash mismatch: the entry hashes to {to_hex(computed)}, "
            f"the receipt says {to_hex(receipt.entry_hash)}"
        )
    if not receipt.first_seq <= receipt.seq <= receipt.last_seq:
        raise ReceiptInvalid(
            f"entry seq {receipt.seq} is outside batch {receipt.batch_id} "
            f"({receipt.first_seq}..{receipt.last_seq})"
        )
    leaf = leaf_hash(receipt.seq, receipt.entry_hash)
    if process_proof(leaf, receipt.proof) != receipt.root:
        raise ReceiptInvalid("bad proof: the inclusion proof does not lead to the receipt's root")
    return _signer(receipt)


def _signer(receipt: Receipt) -> str | None:
    entry = receipt.entry
    try:
        signer = entry_signer(entry)
    except ValueError as exc:
        raise ReceiptInvalid(f"entry {receipt.seq}: {exc}") from None
    actor = entry.get("actor")
    if signer is not None and not (isinstance(actor, str) and signer.lower() == actor.lower()):
        raise ReceiptInvalid(
            f"entry {receipt.seq}: its signature recovers to {signer}, not its actor {actor}"
        )
    return signer


def check_pin(receipt: Receipt, pin: Pin) -> None:
    """A receipt that names another contract (or chain) than the pinned one is invalid, however
    well it verifies there: anyone can deploy a LedgerAnchor and anchor a forged root."""
    if not pin.names(receipt.contract):
        raise ReceiptInvalid(
            f"the receipt names contract {shown_address(receipt.contract)}, not the pinned "
            f"contract {pin.contract}"
        )
    if pin.chain_id is not None and pin.chain_id != receipt.chain_id:
        raise ReceiptInvalid(
            f"the receipt is for chain id {receipt.chain_id}, not the pinned chain {pin.chain_id}"
        )


def verify_receipt(
    receipt: Receipt, connect: Callable[[str], AnchorChain], pin: Pin | None = None
) -> str:
    """Verify ``receipt`` against ``pin`` (when given) and offline, then on the chain
    ``connect(contract_address)`` opens. Return a one-line summary; raise ``ReceiptInvalid``
    (one line) on any failure. Without a pin the receipt's own contract is trusted: say so."""
    if pin is not None:
        check_pin(receipt, pin)
    signer = check_receipt_offline(receipt)
    try:
        chain = connect(receipt.contract)
    except ChainError as exc:
        raise ReceiptInvalid(f"cannot use the chain: {first_line(exc)}") from None
    try:
        check_receipt_on_chain(receipt, chain)
    finally:
        chain.close()
    return (
        f"valid: entry {receipt.seq} ({receipt.entry['kind']}, {receipt.entry['subject']}) is in "
        f"batch {receipt.batch_id} anchored on chain {receipt.chain_id} at "
        f"{receipt.contract}, block {receipt.block_number}"
        + ("" if signer is None else f"; signed by its actor {signer}")
    )


def check_receipt_on_chain(receipt: Receipt, chain: AnchorChain) -> None:
    """The chain is the receipt's; its contract holds the batch with the receipt's root and range,
    its ``verify()`` accepts the proof, and the receipt's transaction anchored that batch in the
    receipt's block."""
    if chain.chain_id != receipt.chain_id:
        raise ReceiptInvalid(
            f"receipt is for chain id {receipt.chain_id}, but the chain is {chain.chain_id}"
        )
    try:
        onchain = chain.batch(receipt.batch_id)
        included = onchain is not None and chain.verify_inclusion(
            receipt.batch_id, receipt.seq, receipt.entry_hash, receipt.proof
        )
        tx = chain.tx_status(receipt.tx_hash)
    except ChainError as exc:
        raise ReceiptInvalid(
            f"contract {receipt.contract} cannot be read: {first_line(exc)}"
        ) from None
    if onchain is None:
        raise ReceiptInvalid(
            f"batch {receipt.batch_id} is not anchored on contract {receipt.contract}"
        )
    if (onchain.root, onchain.first_seq, onchain.last_seq) != (
        receipt.root,
        receipt.first_seq,
        receipt.last_seq,
    ):
        raise ReceiptInvalid(
            f"root not anchored: contract batch {receipt.batch_id} has root "
            f"{to_hex(onchain.root)} for seq {onchain.first_seq}..{onchain.last_seq}"
        )
    if not included:
        raise ReceiptInvalid("the contract's verify() rejects the proof")
    if tx is None or not tx.succeeded or tx.block_number != receipt.block_number:
        raise ReceiptInvalid(
            f"anchor transaction {to_hex(receipt.tx_hash)} is not mined in block "
            f"{receipt.block_number}"
        )
    try:
        events = chain.anchored_in(receipt.tx_hash)
    except ChainError as exc:
        raise ReceiptInvalid(
            f"contract {receipt.contract} cannot be read: {first_line(exc)}"
        ) from None
    if onchain not in events:
        raise ReceiptInvalid(
            f"anchor transaction {to_hex(receipt.tx_hash)} did not anchor batch "
            f"{receipt.batch_id} on contract {receipt.contract}"
        )
