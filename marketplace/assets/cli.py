"""The certificate branch of ``bourse verify`` (kept here so the ledger CLI stays small)."""

from __future__ import annotations

import json
from collections.abc import Callable

import typer

from marketplace.assets.certificate import (
    CertificateInvalid,
    check_certificate_document,
    is_certificate_document,
)


def certificate_receipt(data: bytes, fail: Callable[[str], typer.Exit]) -> tuple[bytes, str | None]:
    """When ``data`` is a certificate document: check its signatures and that it is exactly the
    payload of the entry its receipt proves, and return (the receipt's bytes, a summary).
    Anything else is returned unchanged, for the receipt verifier."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return data, None
    if not is_certificate_document(document):
        return data, None
    try:
        receipt = check_certificate_document(document)
    except CertificateInvalid as exc:
        raise fail(f"INVALID: certificate: {exc}") from None
    if receipt is None:
        raise fail(
            "INVALID: the certificate's journal entry is not anchored yet "
            "(anchor_status pending); fetch the certificate again shortly"
        )
    cert = document["certificate"]
    summary = (
        f"valid certificate: asset {cert['asset_id']} revision {cert['revision']} "
        f"({cert['registration_type']}) held by {cert['owner']}, signed by "
        f"{cert['supplier']['address']}, countersigned by {cert['exchange']['address']}"
    )
    return json.dumps(receipt).encode(), summary
