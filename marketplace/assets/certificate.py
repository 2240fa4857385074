"""Registration certificates (登记凭证): the EIP-712 application a supplier signs, the exchange's
countersignature, and the offline check of a certificate document.

The supplier signs an ``AssetRegistration`` (asset id, revision, registration type, content
hash, chunk root, schema hash, holder address, the three rights, classification, nonce and
deadline). On approval the exchange countersigns a ``RegistrationCountersignature`` binding the
struct hash of that application, the supplier's signature and the approval time. The exchange
signs with its anchoring key, so anyone can check on chain that the countersigner holds the
anchor contract's RECORDER role.

The certificate is the payload of a journal entry of kind ``asset.registered`` (actor: the
supplier, signature: the supplier's). ``GET /assets/{id}/certificate`` returns::

    {"certificate": <payload>, "seq": n, "anchor_status": "pending" | "anchored",
     "receipt": <the standard receipt of that entry> | null}

``check_certificate_document`` verifies everything but the chain: the signatures, and that the
certificate is exactly the payload of the receipt's entry. ``bourse verify`` runs it, verifies
the receipt against the chain, and checks that the countersigner holds RECORDER_ROLE on the
anchor contract (``marketplace.cli.verify.check_countersigner``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from eth_account.messages import encode_typed_data

from marketplace.identity import signing

CERTIFICATE_FORMAT: Final = "databourse.asset-registration.v1"
ENTRY_KIND: Final = "asset.registered"
ZERO_HASH: Final = "0x" + "00" * 32

#: The three rights (三权分置): holding, processing and use, operation.
RIGHTS: Final = ("holding", "processing_use", "operation")
RIGHTS_NAMES_ZH: Final = {
    "holding": "持有权",
    "processing_use": "加工使用权",
    "operation": "经营权",
}

REGISTRATION_TYPES: Final = {
    "AssetRegistration": [
        {"name": "assetId", "type": "uint256"},
        {"name": "revision", "type": "uint64"},
        {"name": "registrationType", "type": "string"},
        {"name": "contentHash", "type": "bytes32"},
        {"name": "chunkRoot", "type": "bytes32"},
        {"name": "schemaHash", "type": "bytes32"},
        {"name": "owner", "type": "address"},
        {"name": "rights", "type": "string[]"},
        {"name": "classification", "type": "string"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
COUNTERSIGNATURE_TYPES: Final = {
    "RegistrationCountersignature": [
        {"name": "registration", "type": "bytes32"},
        {"name": "supplierSignature", "type": "bytes"},
        {"name": "approvedAt", "type": "uint64"},
    ]
}


class CertificateInvalid(ValueError):
    """The certificate does not verify; the message names the first failure."""


def hash_or_zero(hex_digest: str | None) -> str:
    return ZERO_HASH if not hex_digest else "0x" + hex_digest.removeprefix("0x")


def application(
    *,
    asset_id: int,
    revision: int,
    registration_type: str,
    content_hash: str | None,
    chunk_root: str | None,
    schema_hash: str | None,
    owner: str,
    classification: str,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """The JSON form of an application (what the journal stores; the nonce is a decimal
    string because canonical JSON holds integers only up to 2**53)."""
    return {
        "asset_id": asset_id,
        "revision": revision,
        "registration_type": registration_type,
        "content_hash": hash_or_zero(content_hash),
        "chunk_root": hash_or_zero(chunk_root),
        "schema_hash": hash_or_zero(schema_hash),
        "owner": owner,
        "rights": list(RIGHTS),
        "classification": classification,
        "nonce": str(nonce),
        "deadline": deadline,
    }


def application_typed_data(app: Mapping[str, Any], domain: Mapping[str, Any]) -> dict[str, Any]:
    message = {
        "assetId": int(app["asset_id"]),
        "revision": int(app["revision"]),
        "registrationType": str(app["registration_type"]),
        "contentHash": bytes.fromhex(str(app["content_hash"]).removeprefix("0x")),
        "chunkRoot": bytes.fromhex(str(app["chunk_root"]).removeprefix("0x")),
        "schemaHash": bytes.fromhex(str(app["schema_hash"]).removeprefix("0x")),
        "owner": str(app["owner"]),
        "rights": [str(r) for r in app["rights"]],
        "classification": str(app["classification"]),
        "nonce": int(app["nonce"]),
        "deadline": int(app["deadline"]),
    }
    return signing.typed_data_in(domain, "AssetRegistration", REGISTRATION_TYPES, message)


def registration_hash(app: Mapping[str, Any], domain: Mapping[str, Any]) -> bytes:
    """The EIP-712 struct hash of the application (what the countersignature binds)."""
    return bytes(encode_typed_data(full_message=application_typed_data(app, domain)).body)


def countersignature_typed_data(
    app: Mapping[str, Any], domain: Mapping[str, Any], supplier_signature: str, approved_at: int
) -> dict[str, Any]:
    message = {
        "registration": registration_hash(app, domain),
        "supplierSignature": bytes.fromhex(supplier_signature.removeprefix("0x")),
        "approvedAt": approved_at,
    }
    return signing.typed_data_in(
        domain, "RegistrationCountersignature", COUNTERSIGNATURE_TYPES, message
    )


def build_certificate(
    *,
    app: Mapping[str, Any],
    domain: Mapping[str, Any],
    supplier_address: str,
    supplier_signature: str,
    exchange_key: bytes,
    approved_at: int,
) -> dict[str, Any]:
    """The certificate payload, countersigned with ``exchange_key``."""
    from eth_account import Account

    exchange_address = str(Account.from_key(exchange_key).address)
    counter = signing.sign(
        exchange_key, countersignature_typed_data(app, domain, supplier_signature, approved_at)
    )
    certificate = {
        "format": CERTIFICATE_FORMAT,
        **dict(app),
        "rights_zh": [RIGHTS_NAMES_ZH[r] for r in app["rights"]],
        "domain": dict(domain),
        "supplier": {"address": supplier_address, "signature": supplier_signature},
        "exchange": {
            "address": exchange_address,
            "signature": counter,
            "approved_at": approved_at,
        },
    }
    check_certificate(certificate)
    return certificate


_APPLICATION_KEYS: Final = (
    "asset_id", "revision", "registration_type", "content_hash", "chunk_root", "schema_hash",
    "owner", "rights", "classification", "nonce", "deadline",
)  # fmt: skip


def check_certificate(certificate: Mapping[str, Any]) -> None:
    """Check both signatures of a certificate payload; raise CertificateInvalid."""
    if certificate.get("format") != CERTIFICATE_FORMAT:
        raise CertificateInvalid("not a Databourse registration certificate")
    if list(certificate.get("rights") or []) != list(RIGHTS):
        raise CertificateInvalid("the rights are not the three registered rights")
    try:
        app = {k: certificate[k] for k in _APPLICATION_KEYS}
        domain = certificate["domain"]
        supplier, exchange = certificate["supplier"], certificate["exchange"]
        signing.verify(
            application_typed_data(app, domain), supplier["signature"], supplier["address"]
        )
        signing.verify(
            countersignature_typed_data(
                app, domain, supplier["signature"], int(exchange["approved_at"])
            ),
            exchange["signature"],
            exchange["address"],
        )
    except signing.SignatureError as exc:
        raise CertificateInvalid(f"a signature does not match the certificate: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CertificateInvalid(f"the certificate is malformed: {exc!r}") from exc


def is_certificate_document(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("certificate"), dict)
        and document["certificate"].get("format") == CERTIFICATE_FORMAT
    )


def check_certificate_document(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Check a ``GET /assets/{id}/certificate`` document apart from the chain.

    Returns the receipt to verify against the chain (None while the entry is not anchored).
    Raises CertificateInvalid when a signature fails or the certificate differs from the
    journal entry the receipt proves."""
    certificate = document.get("certificate")
    if not isinstance(certificate, dict):
        raise CertificateInvalid("the document has no certificate")
    check_certificate(certificate)
    receipt = document.get("receipt")
    if receipt is None:
        return None
    if not isinstance(receipt, dict) or not isinstance(receipt.get("entry"), dict):
        raise CertificateInvalid("the receipt is malformed")
    entry = receipt["entry"]
    if entry.get("kind") != ENTRY_KIND:
        raise CertificateInvalid(f"the receipt's entry is not of kind {ENTRY_KIND}")
    if entry.get("payload") != certificate:
        raise CertificateInvalid(
            "the certificate differs from the journal entry the receipt proves"
        )
    if str(entry.get("actor", "")).lower() != str(certificate["supplier"]["address"]).lower():
        raise CertificateInvalid("the journal entry's actor is not the certificate's supplier")
    anchor = receipt.get("anchor")
    if isinstance(anchor, dict) and anchor.get("chain_id") != certificate["domain"]["chainId"]:
        raise CertificateInvalid("the certificate was signed for another chain than its anchor")
    return receipt
