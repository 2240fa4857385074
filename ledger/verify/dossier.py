"""Dossier verification: check an exported dispute dossier (a zip) item by item, offline but for
the chain, without trusting the exchange.

The zip holds ``dossier.json`` (the case, MetaEvidence-like), ``manifest.json`` (every item: its
file, SHA-256, journal seq, receipt and, for a party's evidence, the EIP-712 document its
submitter signed), the files under ``evidence/`` and ``statements/`` and a receipt per journal
entry under ``receipts/<seq>.json`` (the format ``bourse verify`` takes for one receipt). For
every item:

- its receipt verifies: the entry's hash and inclusion proof, and the root anchored on the chain
  for that batch by the pinned contract (``verify_receipt``; nothing is re-implemented here);
  the receipt is the item's own (its entry's seq is the item's);
- a party's evidence (``evidence.submitted`` of this dispute and this item): the file's SHA-256
  equals the manifest's, the entry's ``sha256`` and the signed document's ``sha256``; the
  document's EIP-712 digest, recomputed with eth_account, is the entry's ``digest``; the
  signature recovers to the entry's ``actor`` and is the one the entry carries; the document
  names this dispute, the entry's ``kind`` and ``submitted_at``, on the receipt's chain;
- an exchange's record attached as evidence: the file is the anchored entry itself (its
  keccak256 is the receipt's ``entry_hash``), of the kind the manifest names; an entry signed
  over a digest (``digest`` or ``*_digest`` in its payload) recovers to its actor;
- the opener's statement: its file's SHA-256 is the ``statement_sha256`` of this dispute's
  ``dispute.opened`` entry;
- the entries of the dossier link: where two entries are consecutive, the later one's
  ``prev_hash`` is the earlier one's hash;
- every entry is about this case, as the anchored entries (not ``dossier.json``) say: this
  dispute's ``dispute.opened`` names its order (or an objection's asset), that order's
  ``order.placed`` its listing, the listing's ``listing.created`` its asset; a party's item is
  signed before the opening's ``evidence_closes_at``; the case holds its opening, its draw and
  the rulings its entries and ``dossier.json``'s status call for; ``dossier.json`` agrees with
  the anchored entries and receipts (the opening, the order's ``order.placed``, the latest
  ruling's outcome, the chain, what is unanchored); docs/disputes.md, "The dossier and its
  verification", also says what cannot be proved: that no evidence was left out, and the
  fields of ``dossier.json`` no entry holds.

The first failed check of an item is its reason; the report names every item."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from ledger.chain.base import AnchorChain
from ledger.trust import Pin
from ledger.verify.receipt import Receipt, ReceiptInvalid, parse_receipt, verify_receipt
from ledger.verify.signer import RECEIPTED_KIND, SERVED_KIND, entry_signer, receipt_mismatch

__all__ = [
    "DOSSIER_VERSION",
    "Dossier",
    "DossierInvalid",
    "DossierReport",
    "ItemResult",
    "read_dossier",
    "verify_dossier",
]

DOSSIER_VERSION = 1
DOSSIER_BYTES_MAX = 512 * 1024 * 1024  # the zip's members, uncompressed, all together
DOSSIER_MEMBERS_MAX = 2_000  # files in one zip (items, receipts, the two documents)
MANIFEST_BYTES_MAX = 8 * 1024 * 1024  # dossier.json and manifest.json, each
SUBMITTED_KIND = "evidence.submitted"
OPENED_KIND = "dispute.opened"
DRAWN_KIND = "arbitrator.drawn"
PLACED_KIND = "order.placed"
RULING_KINDS = ("ruling.issued", "ruling.final", "ruling.executed")  # each names the outcome
ITEM_SOURCES = frozenset(
    {("evidence", "party"), ("evidence", "system"), ("statement", "party"), ("record", "journal")}
)
ITEM_KEYS = frozenset(
    {
        "id", "type", "kind", "title", "source", "side", "file", "sha256", "seq", "receipt",
        "signer", "signature", "typed_data",
    }
)  # fmt: skip


class DossierInvalid(Exception):
    """The zip is not a dossier at all (not a zip, no manifest, too large); one line."""


@dataclass(frozen=True)
class Dossier:
    meta: dict[str, Any]
    items: list[dict[str, Any]]
    files: dict[str, bytes]

    @property
    def dispute_id(self) -> int | None:
        found = self.meta.get("dispute", {}).get("id") if isinstance(self.meta, dict) else None
        return found if isinstance(found, int) else None


@dataclass
class ItemResult:
    item: str  # the manifest id, e.g. "evidence-3"
    title: str
    kind: str
    seq: int | None
    ok: bool = True
    reason: str = ""
    checked: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.item} ({self.title})" if self.title else self.item


@dataclass(frozen=True)
class DossierReport:
    dispute_id: int | None
    items: list[ItemResult]
    contracts: list[str]  # the contracts the receipts named (one, for a sound dossier)
    problems: list[str]  # failures that belong to no one item (the chain of entries)

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.items)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.items if not r.ok]


class _Failed(Exception):
    pass


def _json(data: bytes, name: str) -> Any:
    if len(data) > MANIFEST_BYTES_MAX:
        raise DossierInvalid(f"{name} is larger than {MANIFEST_BYTES_MAX} bytes")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise DossierInvalid(f"{name} is not valid JSON: {str(exc)[:120]}") from None


def read_dossier(data: bytes) -> Dossier:
    """Open the zip (bounded: members and their declared sizes) and read its two documents."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DossierInvalid(
            "not a zip file (a dossier is the zip GET /disputes/{id}/dossier serves)"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > DOSSIER_MEMBERS_MAX:
            raise DossierInvalid(f"the zip holds more than {DOSSIER_MEMBERS_MAX} files")
        if sum(i.file_size for i in infos) > DOSSIER_BYTES_MAX:
            raise DossierInvalid(f"the zip unpacks to more than {DOSSIER_BYTES_MAX} bytes")
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            if info.filename in files:
                raise DossierInvalid(
                    f"the zip holds {info.filename} twice (which copy would be the evidence?)"
                )
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise DossierInvalid(f"cannot read {info.filename}: {str(exc)[:120]}") from None
            total += len(content)
            if total > DOSSIER_BYTES_MAX:
                raise DossierInvalid(f"the zip unpacks to more than {DOSSIER_BYTES_MAX} bytes")
            files[info.filename] = content
    for name in ("dossier.json", "manifest.json"):
        if name not in files:
            raise DossierInvalid(f"the zip has no {name}: not a dossier")
    meta = _json(files["dossier.json"], "dossier.json")
    manifest = _json(files["manifest.json"], "manifest.json")
    if not isinstance(meta, dict) or meta.get("version") != DOSSIER_VERSION:
        raise DossierInvalid(f"dossier.json must be an object of version {DOSSIER_VERSION}")
    items = manifest.get("items") if isinstance(manifest, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DossierInvalid("manifest.json must hold a list of items")
    return Dossier(meta, items, files)


def _hex64(value: Any) -> str | None:
    """A SHA-256 as 64 lower-case hex digits, whatever its spelling (0x or not)."""
    if not isinstance(value, str):
        return None
    text = value.lower().removeprefix("0x")
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else None


def _typed_digest(document: Mapping[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=dict(document))
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def _recover_typed(document: Mapping[str, Any], signature: str) -> str:
    try:
        return str(
            Account.recover_message(
                encode_typed_data(full_message=dict(document)), signature=signature
            )
        )
    except Exception as exc:  # noqa: BLE001 -- eth_account raises several types
        raise _Failed(f"the signature does not recover: {str(exc)[:120]}") from None


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


class _Chains:
    """One connection per contract for the whole dossier (``verify_receipt`` closes what it is
    given: a borrowed handle whose close does nothing)."""

    def __init__(self, connect: Callable[[str], AnchorChain]) -> None:
        self._connect = connect
        self._open: dict[str, AnchorChain] = {}

    def borrow(self, address: str) -> AnchorChain:
        key = address.lower()
        if key not in self._open:
            self._open[key] = self._connect(address)
        return _Borrowed(self._open[key])

    def close(self) -> None:
        for chain in self._open.values():
            chain.close()


class _Borrowed:
    def __init__(self, chain: AnchorChain) -> None:
        self._chain = chain

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    def close(self) -> None:
        pass


@contextmanager
def _chains(connect: Callable[[str], AnchorChain]) -> Iterator[_Chains]:
    chains = _Chains(connect)
    try:
        yield chains
    finally:
        chains.close()


@dataclass
class _Run:
    """One verification: the dossier, the chains it opened, the pin, the receipts verified."""

    dossier: Dossier
    chains: _Chains
    pin: Pin | None
    receipts: dict[int, Receipt] = field(default_factory=dict)

    def receipt(self, name: Any, seq: Any, what: str) -> Receipt:
        """The receipt file ``name``, for entry ``seq``, verified on the chain."""
        if not isinstance(name, str) or name not in self.dossier.files:
            raise _Failed(f"{what}: no receipt in the zip (not anchored when exported?)")
        try:
            receipt = parse_receipt(self.dossier.files[name])
        except ReceiptInvalid as exc:
            raise _Failed(f"{what}: {name}: {exc}") from None
        if receipt.seq != seq:
            raise _Failed(
                f"{what}: {name} is the receipt of entry {receipt.seq}, not of entry {seq}"
            )
        try:
            verify_receipt(receipt, self.chains.borrow, self.pin)
        except ReceiptInvalid as exc:
            raise _Failed(f"{what}: {name}: {exc}") from None
        self.receipts[seq] = receipt
        return receipt


def _check_entry_signature(receipt: Receipt, result: ItemResult) -> None:
    """Say how the entry's signature was checked: ``verify_receipt`` already refused one that
    does not recover to its actor from what the entry holds (``signer.entry_signer``)."""
    if not receipt.entry.get("signature"):
        return
    signer = entry_signer(receipt.entry)
    if signer is None:
        result.checked.append("entry signed (its document is not in the entry)")
    else:
        result.checked.append(f"entry signed by {signer}")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _payload(receipt: Receipt) -> dict[str, Any]:
    payload = receipt.entry["payload"]
    return payload if isinstance(payload, dict) else {}


def _check_shown(item: dict[str, Any], payload: dict[str, Any], seq: int) -> None:
    """A party's item as the manifest shows it (its side, its kind) is as its entry says."""
    if item.get("side") != payload.get("side"):
        raise _Failed(
            f"the manifest says the {item.get('side')} submitted it, entry {seq} says the "
            f"{payload.get('side')}"
        )
    if item.get("kind") != payload.get("kind"):
        raise _Failed(
            f"the manifest calls it a {item.get('kind')}, entry {seq} a {payload.get('kind')}"
        )


def _check_kind(item: dict[str, Any], receipt: Receipt, dispute_id: int | None) -> None:
    """The entry is the item's: an ``evidence.submitted`` of this dispute and this item, the
    ``dispute.opened`` of this dispute for the opener's statement, or the record of the kind
    the manifest names."""
    entry, payload, seq = receipt.entry, _payload(receipt), receipt.seq
    kind, source = item.get("type"), item.get("source")
    if (kind, source) not in ITEM_SOURCES:
        raise _Failed(
            f"manifest item type {kind!r} from source {source!r} is not one a dossier holds "
            "(a party's evidence or statement, the exchange's record, a journal entry)"
        )
    if entry["kind"] == SUBMITTED_KIND and (kind, source) != ("evidence", "party"):
        raise _Failed(
            f"entry {seq} is a party's {SUBMITTED_KIND}: the item must be that party's evidence, "
            "with its file and the document it signed"
        )
    if kind == "record" or (kind == "evidence" and source == "system"):
        if item.get("kind") != entry["kind"]:
            raise _Failed(f"entry {seq} is {entry['kind']}, the manifest says {item.get('kind')}")
        if kind == "record" and item.get("title") != entry["kind"]:
            raise _Failed(
                f"the manifest titles the record {item.get('title')!r}; a record's title is its "
                f"entry's kind, entry {seq} is {entry['kind']}"
            )
        if item.get("side") is not None:
            raise _Failed(f"the manifest gives the exchange's record a side ({item.get('side')})")
        return
    if kind == "statement":
        if (
            entry["kind"] != OPENED_KIND
            or payload.get("dispute_id") != dispute_id
            or entry.get("subject") != f"dispute:{dispute_id}"
        ):
            raise _Failed(f"entry {seq} is not the opening of dispute {dispute_id}")
        if item.get("side") != payload.get("opener_side"):
            raise _Failed(
                f"the manifest says the {item.get('side')} opened, entry {seq} says the "
                f"{payload.get('opener_side')}"
            )
        return
    if entry["kind"] != SUBMITTED_KIND:
        raise _Failed(f"entry {seq} is {entry['kind']}, not {SUBMITTED_KIND}")
    _check_shown(item, payload, seq)
    if payload.get("dispute_id") != dispute_id:
        raise _Failed(
            f"entry {seq} is evidence of dispute {payload.get('dispute_id')}, not {dispute_id}"
        )
    evidence_id = str(item.get("id", "")).removeprefix("evidence-")
    if str(payload.get("evidence_id")) != evidence_id:
        raise _Failed(
            f"entry {seq} submits evidence {payload.get('evidence_id')}, not {evidence_id}"
        )


def _check_file(
    dossier: Dossier, item: dict[str, Any], receipt: Receipt, result: ItemResult
) -> None:
    """The file's bytes, the manifest and the entry agree: a party's item and the opener's
    statement by SHA-256, a system record by being the anchored entry itself."""
    name, payload, seq = item.get("file"), _payload(receipt), receipt.seq
    if name is None:
        if item.get("type") in ("evidence", "statement"):
            raise _Failed("the item has no file in the zip")
        return
    if not isinstance(name, str) or name not in dossier.files:
        raise _Failed(f"file {name} is not in the zip")
    content = dossier.files[name]
    actual = sha256(content).hexdigest()
    if actual != _hex64(item.get("sha256")):
        raise _Failed(f"file {name} hashes to {actual}, the manifest says {item.get('sha256')}")
    if item.get("type") == "statement":
        recorded = payload.get("statement_sha256")
    elif item.get("source") == "system":
        if keccak(content) != receipt.entry_hash:
            raise _Failed(f"file {name} is not entry {seq} as anchored (its keccak256 differs)")
        recorded = actual
    else:
        recorded = payload.get("sha256")
    if actual != _hex64(recorded):
        raise _Failed(f"file {name} hashes to {actual}, entry {seq} says {recorded}")
    result.checked.append(f"sha256 {actual[:12]}… matches entry {seq}")


def _check_signed(
    item: dict[str, Any], receipt: Receipt, dispute_id: int | None, result: ItemResult
) -> None:
    """The submitter's EIP-712 ``Evidence``: the entry holds its digest (recomputed here), it
    covers the file's hash, this dispute, the entry's kind and time, on the receipt's chain; the
    signature recovers to the entry's actor and is the one the entry carries."""
    typed, signature = item.get("typed_data"), item.get("signature")
    entry, payload, seq = receipt.entry, _payload(receipt), receipt.seq
    if not isinstance(typed, dict) or not isinstance(signature, str):
        raise _Failed("a party's evidence carries no signed document and signature")
    try:
        digest = "0x" + _typed_digest(typed).hex()
    except Exception as exc:  # noqa: BLE001 -- eth_account raises several types
        raise _Failed(f"the signed document is malformed: {str(exc)[:120]}") from None
    if not _same(digest, payload.get("digest")):
        raise _Failed(f"the signed document is not the one entry {seq} holds the digest of")
    message = _object(typed.get("message"))
    if _hex64(message.get("sha256")) != _hex64(payload.get("sha256")):
        raise _Failed(f"the signed document covers sha256 {message.get('sha256')}, not the file's")
    if message.get("title") != item.get("title"):
        raise _Failed(
            f"the manifest titles it {item.get('title')!r}, its submitter signed "
            f"{message.get('title')!r}"
        )
    expected = {
        "disputeId": dispute_id,
        "kind": payload.get("kind"),
        "submittedAt": payload.get("submitted_at"),
    }
    for key, value in expected.items():
        if message.get(key) != value:
            raise _Failed(f"the signed document's {key} is {message.get(key)!r}, not {value!r}")
    domain = _object(typed.get("domain"))
    if domain.get("chainId") != receipt.chain_id:
        raise _Failed(
            f"the document is signed for chain {domain.get('chainId')}, not {receipt.chain_id}"
        )
    signer = _recover_typed(typed, signature)
    if not _same(signer, entry["actor"]):
        raise _Failed(f"the signature recovers to {signer}, entry {seq} names {entry['actor']}")
    if not _same(signer, item.get("signer")):
        raise _Failed(f"the signature recovers to {signer}, not {item.get('signer')}")
    if not _same(signature, entry.get("signature")):
        raise _Failed(f"entry {seq} carries another signature than the manifest's")
    result.checked.append(f"signed by {signer}")


def _check_item(run: _Run, item: dict[str, Any], result: ItemResult) -> None:
    unknown = sorted(set(item) - ITEM_KEYS)
    if unknown:
        raise _Failed(f"manifest item has unexpected keys {unknown}")
    seq = item.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq <= 0:
        raise _Failed("manifest item has no journal seq")
    receipt = run.receipt(item.get("receipt"), seq, f"entry {seq}")
    result.checked.append(
        f"entry {seq} anchored in batch {receipt.batch_id}, block {receipt.block_number}, "
        f"chain {receipt.chain_id}"
    )
    _check_kind(item, receipt, run.dossier.dispute_id)
    _check_file(run.dossier, item, receipt, result)
    if item.get("type") == "evidence" and item.get("source") == "party":
        _check_signed(item, receipt, run.dossier.dispute_id, result)
    elif item.get("typed_data") is not None:
        raise _Failed("only a party's evidence carries a signed document")
    else:
        _check_entry_signature(receipt, result)


def _closes_at(opened: Receipt) -> int | None:
    """dispute.opened's evidence deadline, in Unix seconds (what a signed item's submittedAt is)."""
    text = _payload(opened).get("evidence_closes_at")
    try:
        found = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(found.timestamp()) if found.tzinfo is not None else None


@dataclass
class _Case:
    """What the anchored entries say the case is about: the dispute (from its dispute.opened),
    its order and that order's listing and asset, or an objection's asset."""

    dispute_id: int
    opened: Receipt
    order_id: int | None = None
    listing_id: int | None = None
    asset: tuple[Any, Any] | None = None  # (asset id, revision or None)
    objection_id: int | None = None
    placed_seq: int | None = None  # the seq of the anchored order.placed of its order

    def about(self, entry: Mapping[str, Any], seq: int) -> None:
        """The entry is about this case, or fail naming what it is about instead."""
        subject, payload = str(entry.get("subject")), _object(entry.get("payload"))
        kind, ref = entry.get("kind"), subject.partition(":")[2]
        if subject.startswith("dispute:"):
            if (
                subject != f"dispute:{self.dispute_id}"
                or payload.get("dispute_id", self.dispute_id) != self.dispute_id
            ):
                raise _Failed(
                    f"entry {seq} ({kind}) is about {subject}, not dispute {self.dispute_id}"
                )
        elif subject.startswith("order:"):
            if (
                self.order_id is None
                or subject != f"order:{self.order_id}"
                or payload.get("order_id", self.order_id) != self.order_id
            ):
                raise _Failed(f"entry {seq} ({kind}) is about {subject}, not {self._order()}")
        elif subject.startswith("listing:"):
            if self.listing_id is None or ref != str(self.listing_id):
                raise _Failed(
                    f"entry {seq} ({kind}) is about {subject}, not the listing of "
                    f"{self._order()} (its order.placed names listing {self.listing_id})"
                )
        elif subject.startswith("asset:"):
            revision = payload.get("revision")
            objection = payload.get("objection_id", self.objection_id)
            if (
                self.asset is None
                or ref != str(self.asset[0])
                or (self.asset[1] is not None and revision not in (None, self.asset[1]))
                or objection != self.objection_id
            ):
                raise _Failed(
                    f"entry {seq} ({kind}) is about {subject} (revision {revision}, objection "
                    f"{objection}), not the asset of this case ({self._asset()})"
                )
        else:
            raise _Failed(f"entry {seq} ({kind}) is about {subject}, not this dispute")

    def _order(self) -> str:
        return "no order" if self.order_id is None else f"order {self.order_id}"

    def _asset(self) -> str:
        if self.asset is None:
            return "none known from the anchored entries"
        found = f"asset {self.asset[0]}" + ("" if self.asset[1] is None else f" r{self.asset[1]}")
        return found if self.objection_id is None else f"{found}, objection {self.objection_id}"


def _case(run: _Run) -> _Case | None:
    """The case from this dispute's anchored dispute.opened and, for an order, its anchored
    order.placed and listing.created (each tied to the one before it)."""
    dispute_id = run.dossier.dispute_id
    verified = [run.receipts[seq] for seq in sorted(run.receipts)]  # anchored, whatever the item
    opened = [
        r for r in verified
        if r.entry["kind"] == OPENED_KIND and r.entry.get("subject") == f"dispute:{dispute_id}"
    ]  # fmt: skip
    if dispute_id is None or not opened:
        return None
    payload = _payload(opened[0])
    case = _Case(dispute_id, opened[0])
    order_id = payload.get("order_id")
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        case.order_id = order_id
        for r in verified:
            if r.entry["kind"] == PLACED_KIND and r.entry.get("subject") == f"order:{order_id}":
                case.listing_id, case.placed_seq = _payload(r).get("listing_id"), r.seq
        for r in verified:
            if (
                r.entry["kind"] == "listing.created"
                and case.listing_id is not None
                and r.entry.get("subject") == f"listing:{case.listing_id}"
            ):
                listing = _payload(r)
                case.asset = (listing.get("asset_id"), listing.get("revision"))
    elif isinstance(payload.get("asset_id"), int):  # an ownership objection's asset
        case.asset = (payload["asset_id"], None)
        case.objection_id = payload.get("objection_id")
    return case


def _before_deadline(receipt: Receipt, opened: Receipt, closes: int | None) -> None:
    """A party's item is signed before the deadline its dispute.opened names."""
    if receipt.entry["kind"] != SUBMITTED_KIND:
        return
    submitted = _payload(receipt).get("submitted_at")
    if closes is None or not isinstance(submitted, int) or submitted >= closes:
        raise _Failed(
            f"signed at {submitted}, not before the evidence deadline "
            f"{_payload(opened).get('evidence_closes_at')} (entry {opened.seq})"
        )


def _receipt_of_served(
    receipt: Receipt, receipts: Mapping[int, Receipt], result: ItemResult
) -> None:
    """A buyer's ``delivery.receipted`` names a ``delivery.served`` entry the dossier holds, and
    the same licence, order, download and bytes (its signature covers all but the download)."""
    if receipt.entry["kind"] != RECEIPTED_KIND:
        return
    served_seq = _payload(receipt).get("served_seq")
    served = receipts.get(served_seq) if isinstance(served_seq, int) else None
    if served is None:
        raise _Failed(
            f"entry {receipt.seq} is a receipt for entry {served_seq}, which is not a "
            f"{SERVED_KIND} entry of this dossier"
        )
    mismatch = receipt_mismatch(receipt.entry, served.entry)
    if mismatch is not None:
        raise _Failed(mismatch)
    result.checked.append(f"the buyer's receipt of the download served in entry {served.seq}")


def _bind(run: _Run, pairs: list[tuple[dict[str, Any], ItemResult]]) -> list[str]:
    """Every verified item is about this case (its entry names this dispute, its order, that
    order's listing or asset); a party's item was signed before the evidence deadline; the case
    holds its opening, its draw and its rulings; dossier.json agrees with the anchored opening.
    Returns the problems that belong to no one item."""
    case = _case(run)
    if case is None:
        return [
            f"the dossier holds no anchored dispute.opened of dispute {run.dossier.dispute_id}: "
            "nothing ties its items to the dispute"
        ]
    closes = _closes_at(case.opened)
    for item, result in pairs:
        if not result.ok:
            continue
        receipt = run.receipts[item["seq"]]
        try:
            case.about(receipt.entry, receipt.seq)
            _before_deadline(receipt, case.opened, closes)
            _receipt_of_served(receipt, run.receipts, result)
            result.checked.append("about this dispute")
        except _Failed as failed:
            result.ok, result.reason = False, str(failed)
    bound = [run.receipts[i["seq"]] for i, r in pairs if r.ok]
    kinds = {str(r.entry["kind"]) for r in bound}
    return _complete(case, bound) + _agrees(
        run.dossier, case, list(run.receipts.values()), kinds, all_ok=all(r.ok for _, r in pairs)
    )


def _complete(case: _Case, bound: list[Receipt]) -> list[str]:
    """The minimum a case's dossier holds: its opening, a draw for every round, and the ruling
    entries its state calls for, with every vote a final ruling counts. (The journal does not
    chain a dispute's entries: evidence left out cannot be detected; docs/disputes.md.)"""
    kinds: dict[str, list[Receipt]] = {}
    for r in bound:
        kinds.setdefault(r.entry["kind"], []).append(r)
    problems = []
    rounds = {_payload(r).get("round") for r in kinds.get(DRAWN_KIND, [])}
    needed: list[str] = []
    if 1 not in rounds:
        problems.append(f"the dossier holds no {DRAWN_KIND} of dispute {case.dispute_id}")
    if "dispute.appealed" in kinds and 2 not in rounds:
        problems.append(f"the dossier holds no {DRAWN_KIND} for the appeal round")
    if "ruling.executed" in kinds and not ({"ruling.issued", "ruling.final"} & set(kinds)):
        needed.append("ruling.issued")
    if "dispute.appealed" in kinds or "ruling.final" in kinds:
        needed += ["ruling.issued", "dispute.appealed"]
    problems += [
        f"the dossier holds no {kind} of dispute {case.dispute_id}, though its other entries "
        "say there is one"
        for kind in dict.fromkeys(needed) if kind not in kinds
    ]  # fmt: skip
    have = {r.seq for r in bound}
    for final in kinds.get("ruling.final", []):
        missing = [s for s in _payload(final).get("votes", []) if s not in have]
        if missing:
            problems.append(f"entry {final.seq} counts votes {missing} the dossier does not hold")
    return problems


def _status_needs(status: Any) -> list[str]:
    return {
        "ruled": ["ruling.issued"],
        "appealed": ["ruling.issued", "dispute.appealed"],
        "final": ["ruling.issued", "dispute.appealed", "ruling.final"],
        "executed": ["ruling.executed"],
    }.get(str(status), [])


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    """Equal and of one type (so that true is not 1, nor 1.0 the seq 1)."""
    return type(a) is type(b) and a == b


def _agrees(
    dossier: Dossier,
    case: _Case,
    receipts: list[Receipt],
    kinds: set[str],
    *,
    all_ok: bool,
) -> list[str]:
    """dossier.json (which no entry anchors) says what the anchored entries say: the dispute,
    its order or objection, the opener, the reason, the chain, what is unanchored; once every
    item verified (an item that failed may hide its entry), each side's addresses and the
    outcome; and the entries its status calls for are in the dossier."""
    meta = dossier.meta
    problems = _opening_agrees(meta, case) + _chain_agrees(meta, receipts)
    problems += _unanchored_agrees(meta, receipts)
    if all_ok:
        problems += _parties_agree(meta, case, receipts) + _ruling_agrees(meta, case, receipts)
    status = _object(meta.get("dispute")).get("status")
    problems += [
        f"dossier.json says the dispute is {status}, but the dossier holds no {kind}"
        for kind in _status_needs(status) if kind not in kinds
    ]  # fmt: skip
    return problems


def _opening_agrees(meta: dict[str, Any], case: _Case) -> list[str]:
    """The dispute's id, order (and period) or objection, opener, reason and seq are its
    dispute.opened's; the order's placed_seq is its anchored order.placed's (when the dossier
    holds it)."""
    opened, payload = case.opened, _payload(case.opened)
    dispute = _object(meta.get("dispute"))
    said = f"than its dispute.opened (entry {opened.seq})"
    problems = [
        f"dossier.json gives dispute.{key} {dispute.get(key)!r}, another {said}: "
        f"{payload.get('dispute_id' if key == 'id' else key)!r}"
        for key in ("id", "order_id", "period", "objection_id", "opener_side", "reason")
        if dispute.get(key) != payload.get("dispute_id" if key == "id" else key)
    ]
    if not _equal(dispute.get("opened_seq"), opened.seq):
        problems.append(
            f"dossier.json gives dispute.opened_seq {dispute.get('opened_seq')!r}, but this "
            f"dispute's anchored dispute.opened is entry {opened.seq}"
        )
    order = meta.get("order")
    if order is not None and _object(order).get("id") != payload.get("order_id"):
        problems.append(f"dossier.json names order {_object(order).get('id')}, another {said}")
    placed = _object(order).get("placed_seq")
    if order is not None and case.placed_seq is not None and not _equal(placed, case.placed_seq):
        problems.append(
            f"dossier.json gives order.placed_seq {placed!r}, but the anchored {PLACED_KIND} of "
            f"order {case.order_id} is entry {case.placed_seq}"
        )
    return problems


def _chain_agrees(meta: dict[str, Any], receipts: list[Receipt]) -> list[str]:
    """chain.chain_id and chain.contract are the ones every receipt names."""
    chain = _object(meta.get("chain"))
    problems = []
    ordered = sorted(receipts, key=lambda r: r.seq)
    other = next((r for r in ordered if not _equal(chain.get("chain_id"), r.chain_id)), None)
    if other is not None:
        problems.append(
            f"dossier.json gives chain.chain_id {chain.get('chain_id')!r}; the receipt of entry "
            f"{other.seq} names chain {other.chain_id}"
        )
    other = next((r for r in ordered if not _same(chain.get("contract"), r.contract)), None)
    if other is not None:
        problems.append(
            f"dossier.json gives chain.contract {chain.get('contract')!r}; the receipt of entry "
            f"{other.seq} names contract {other.contract}"
        )
    return problems


def _unanchored_agrees(meta: dict[str, Any], receipts: list[Receipt]) -> list[str]:
    """unanchored lists entry seqs, none of them one whose receipt the dossier holds."""
    listed = meta.get("unanchored")
    if not isinstance(listed, list) or not all(_int(s) for s in listed):
        return [f"dossier.json gives unanchored {listed!r}: it must be a list of entry seqs"]
    held = {r.seq: r for r in receipts}
    return [
        f"dossier.json gives unanchored entry {seq}, but entry {seq} is anchored: its receipt "
        f"verifies in batch {held[seq].batch_id}"
        for seq in sorted(set(listed) & set(held))
    ]


def _parties_agree(meta: dict[str, Any], case: _Case, receipts: list[Receipt]) -> list[str]:
    """Each side's listed addresses are exactly the opener (for its side) and the signers of
    that side's anchored evidence entries."""
    opened = case.opened
    signers: dict[str, set[str]] = {"buyer": set(), "supplier": set()}
    opener = _payload(opened).get("opener_side")
    if opener in signers:
        signers[opener].add(str(opened.entry.get("actor")).lower())
    for receipt in receipts:  # the anchored entries of this dispute's evidence
        entry = receipt.entry
        if entry["kind"] == SUBMITTED_KIND and entry.get("subject") == f"dispute:{case.dispute_id}":
            side = str(_payload(receipt).get("side"))
            signers.setdefault(side, set()).add(str(entry.get("actor")).lower())
    parties = _object(meta.get("parties"))
    problems = []
    for side in sorted(set(signers) | set(parties)):
        listed = _object(parties.get(side)).get("addresses")
        shown = {str(a).lower() for a in listed} if isinstance(listed, list) else set()
        if shown != signers.get(side, set()):
            problems.append(
                f"dossier.json lists the {side}'s addresses as {sorted(shown)}; the anchored "
                f"entries are signed by {sorted(signers.get(side, set()))}"
            )
    return problems


def _ruling_agrees(meta: dict[str, Any], case: _Case, receipts: list[Receipt]) -> list[str]:
    """dispute.outcome (and dispute.supplier_bp, where dossier.json gives it) are the latest
    anchored ruling's (ruling.issued, ruling.final or ruling.executed, by seq); null when the
    dossier holds none."""
    dispute = _object(meta.get("dispute"))
    subject = f"dispute:{case.dispute_id}"
    rulings = [
        r for r in receipts if r.entry["kind"] in RULING_KINDS and r.entry.get("subject") == subject
    ]
    latest = max(rulings, key=lambda r: r.seq, default=None)
    problems = []
    for key in ("outcome", "supplier_bp"):
        if key not in dispute and key == "supplier_bp":
            continue
        anchored = None if latest is None else _payload(latest).get(key)
        if _equal(dispute.get(key), anchored):
            continue
        said = (
            f"the dossier holds no anchored ruling ({', '.join(RULING_KINDS)}): it must be null"
            if latest is None
            else f"the latest anchored ruling, {latest.entry['kind']} (entry {latest.seq}), "
            f"says {anchored!r}"
        )
        problems.append(f"dossier.json gives dispute.{key} {dispute.get(key)!r}; {said}")
    return problems


def _links(receipts: dict[int, Receipt]) -> list[str]:
    """Consecutive entries link: the later one's prev_hash is the earlier one's hash."""
    problems = []
    for seq in sorted(receipts):
        before = receipts.get(seq - 1)
        if before is not None and not _same(
            receipts[seq].entry["prev_hash"], "0x" + before.entry_hash.hex()
        ):
            problems.append(f"entry {seq} does not follow entry {seq - 1} (prev_hash differs)")
    return problems


def _shown_title(item: dict[str, Any]) -> str:
    """The item's title as the report shows it: an exchange's record attached as evidence has a
    title no one signed and no entry holds, which the report says rather than vouch for it."""
    title = str(item.get("title") or "")
    if (item.get("type"), item.get("source")) == ("evidence", "system"):
        return f"{title} (title not signed)"
    return title


def verify_dossier(
    dossier: Dossier, connect: Callable[[str], AnchorChain], pin: Pin | None = None
) -> DossierReport:
    """Check every item of ``dossier`` (see the module docstring); never raises for a bad item,
    the report names it. ``connect(contract)`` opens the chain (once per contract)."""
    results: list[ItemResult] = []
    seen: set[str] = set()
    pairs: list[tuple[dict[str, Any], ItemResult]] = []
    with _chains(connect) as chains:
        run = _Run(dossier, chains, pin)
        for item in dossier.items:
            seq = item.get("seq")
            result = ItemResult(
                item=str(item.get("id", "?")),
                title=_shown_title(item),
                kind=str(item.get("kind") or ""),
                seq=seq if isinstance(seq, int) else None,
            )
            results.append(result)
            pairs.append((item, result))
            if result.item in seen:
                result.ok, result.reason = False, "the manifest lists this item twice"
                continue
            seen.add(result.item)
            try:
                _check_item(run, item, result)
            except _Failed as failed:
                result.ok, result.reason = False, str(failed)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                result.ok, result.reason = (
                    False,
                    f"malformed item: {type(exc).__name__}: {exc}"[:300],
                )
    contracts = sorted({r.contract.lower() for r in run.receipts.values()})
    problems = _links(run.receipts)
    if dossier.items:
        problems += _bind(run, pairs)
    listed = {f for i in dossier.items for f in (i.get("file"), i.get("receipt"))}
    strays = sorted(
        n for n in dossier.files if n not in listed and n not in ("dossier.json", "manifest.json")
    )
    if strays:
        problems.append(f"files the manifest does not list: {', '.join(strays[:5])}")
    if not dossier.items:
        problems.append("the manifest lists no item")
    return DossierReport(dossier.dispute_id, results, contracts, problems)
