"""Who signed a journal entry, recovered from what the entry itself holds, with eth_account.

Two kinds of signed entry can be checked without the document the signer saw:

- an entry whose payload holds the EIP-712 digest its signature covers (``digest`` or a
  ``*_digest`` field: ``order.placed``'s ``order_digest``, ``quote.sent``'s ``offer_digest``);
- a ``delivery.receipted`` entry, whose payload holds every field of the buyer's
  ``DeliveryReceipt`` and of its domain: the typed data is rebuilt here (docs/delivery.md, "The
  receipt's signature") and its digest recomputed.

Other signed entries commit to a document kept elsewhere (a dispute's evidence: the dossier
carries it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from eth_account import Account
from eth_account.messages import encode_typed_data

from ledger.canonical import from_hex

# The exchange's EIP-712 domain and the receipt a buyer signs for a served download.
DOMAIN_NAME: Final = "Databourse"
DOMAIN_VERSION: Final = "1"
RECEIPTED_KIND: Final = "delivery.receipted"
SERVED_KIND: Final = "delivery.served"
# What a buyer's receipt and the download it receipts both record (its signature covers all but
# the download's id, which the entry adds from the served entry).
RECEIPTED_FIELDS: Final = ("licence_id", "order_id", "download_id", "sha256")
RECEIPT_PRIMARY_TYPE: Final = "DeliveryReceipt"
RECEIPT_TYPES: Final = {
    RECEIPT_PRIMARY_TYPE: [
        {"name": "licenceId", "type": "uint256"},
        {"name": "orderId", "type": "uint256"},
        {"name": "sha256", "type": "bytes32"},
        {"name": "servedSeq", "type": "uint256"},
    ]
}
DOMAIN_TYPE: Final = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def receipt_typed_data(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The ``DeliveryReceipt`` a ``delivery.receipted`` payload records, as EIP-712 typed data.
    Raises ``ValueError`` (or ``KeyError``/``TypeError``) when a field is missing or malformed."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **RECEIPT_TYPES},
        "primaryType": RECEIPT_PRIMARY_TYPE,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": _uint(payload["chain_id"]),
            "verifyingContract": "0x" + from_hex(payload["verifying_contract"], 20).hex(),
        },
        "message": {
            "licenceId": _uint(payload["licence_id"]),
            "orderId": _uint(payload["order_id"]),
            "sha256": "0x" + from_hex("0x" + str(payload["sha256"]), 32).hex(),
            "servedSeq": _uint(payload["served_seq"]),
        },
    }


def entry_signer(entry: Mapping[str, Any]) -> str | None:
    """The address an entry's signature recovers to (module docstring); None when it is unsigned
    or commits to a document it does not hold. Raises ``ValueError`` when the signature, the
    digest or the receipt's fields are malformed."""
    signature = entry.get("signature")
    payload = entry.get("payload")
    if not signature or not isinstance(payload, dict):
        return None
    try:
        if entry.get("kind") == RECEIPTED_KIND:
            return str(
                Account.recover_message(
                    encode_typed_data(full_message=receipt_typed_data(payload)),
                    signature=str(signature),
                )
            )
        digests = [k for k in sorted(payload) if k == "digest" or k.endswith("_digest")]
        if not digests:
            return None
        return str(Account._recover_hash(from_hex(payload[digests[0]], 32), signature=signature))
    except Exception as exc:  # noqa: BLE001 -- eth_account raises several types
        raise ValueError(f"the entry's signature does not recover: {exc!r}"[:160]) from None


def receipt_mismatch(receipted: Mapping[str, Any], served: Mapping[str, Any]) -> str | None:
    """Why the ``delivery.receipted`` entry ``receipted`` is not the buyer's receipt of the
    ``delivery.served`` entry ``served``; None when it is (it names that entry's seq, and both
    record the same licence, order, download and bytes, each of one type)."""
    if receipted.get("kind") != RECEIPTED_KIND:
        return f"entry {receipted.get('seq')} is not a {RECEIPTED_KIND} entry"
    mine, theirs = receipted.get("payload"), served.get("payload")
    mine = mine if isinstance(mine, dict) else {}
    theirs = theirs if isinstance(theirs, dict) else {}
    named = mine.get("served_seq")
    if served.get("kind") != SERVED_KIND or not _same(named, served.get("seq")):
        return (
            f"entry {receipted.get('seq')} is a receipt for entry {named}, not for "
            f"{served.get('kind')} entry {served.get('seq')}"
        )
    differ = [key for key in RECEIPTED_FIELDS if not _same(mine.get(key), theirs.get(key))]
    if differ:
        return (
            f"entry {receipted.get('seq')} receipts other {', '.join(differ)} than entry "
            f"{served.get('seq')} served"
        )
    return None


def _same(a: Any, b: Any) -> bool:
    """Equal and of one type (so that true is not 1, nor 1.0 the seq 1)."""
    return type(a) is type(b) and a == b


def _uint(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return value
