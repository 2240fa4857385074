"""The certificate branch of ``bourse verify`` (kept here so the ledger CLI stays small)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import typer

from ledger.chain import ChainError, Web3AnchorChain
from marketplace.assets.certificate import (
    CertificateInvalid,
    check_certificate_document,
    is_certificate_document,
)
from marketplace.errors import first_line


@dataclass(frozen=True)
class CheckedCertificate:
    """A certificate whose signatures and journal entry check out (the chain is next)."""

    summary: str
    countersigner: str  # the exchange's address: must be a recorder on the anchor contract


def certificate_receipt(
    data: bytes, fail: Callable[[str], typer.Exit]
) -> tuple[bytes, CheckedCertificate | None]:
    """When ``data`` is a certificate document: check its signatures and that it is exactly the
    payload of the entry its receipt proves, and return (the receipt's bytes, the certificate).
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
    checked = CheckedCertificate(summary, str(cert["exchange"]["address"]))
    return json.dumps(receipt).encode(), checked


def check_countersigner(
    chain: Web3AnchorChain, countersigner: str, fail: Callable[[str], typer.Exit]
) -> None:
    """The exchange countersigns with its anchoring key, so the countersigner must hold
    RECORDER_ROLE on the contract that anchors the certificate's entry."""
    contract = chain.contract
    try:
        is_recorder = contract.has_role(contract.recorder_role(), countersigner)
    except ChainError as exc:
        raise fail(
            f"INVALID: certificate: cannot read the countersigner's role on {contract.address}: "
            f"{first_line(exc)}"
        ) from None
    if not is_recorder:
        raise fail(
            f"INVALID: certificate: the countersigner {countersigner} does not hold RECORDER_ROLE "
            f"on the anchor contract {contract.address}"
        )
