"""bourse verify RECEIPT.json: check a receipt, or a registration certificate with the receipt
it carries, with nothing but the chain (exit statuses in ``pinning``)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketplace.cli.pinning import ContractOption, TrustOption, exit_with, pin_of, unpinned

if TYPE_CHECKING:  # the chain and certificate modules load web3: imported when a check runs
    from ledger.chain import Web3AnchorChain


def verify_receipt_command(
    receipt_file: Annotated[Path, typer.Argument(help="A receipt JSON file ('-' for stdin).")],
    chain_url: Annotated[
        str | None,
        typer.Option("--chain", help="Chain URL (default: DATABOURSE_CHAIN_URL)."),
    ] = None,
    contract_pin: ContractOption = None,
    trust: TrustOption = None,
) -> None:
    """Verify a receipt or certificate with nothing but the chain: entry hash, proof, anchored root.

    Exit status: 0 valid against a pinned contract, 1 INVALID, 2 usage error,
    3 valid but not pinned (the output names the contract it trusted)."""
    pin = pin_of(contract_pin, trust)
    try:
        from ledger.chain import connect
        from ledger.verify import ReceiptInvalid, parse_receipt, verify_receipt

        if chain_url is None:
            from marketplace.settings import get_settings

            chain_url = get_settings().chain_url
        url = chain_url
        try:
            data = (
                sys.stdin.buffer.read() if str(receipt_file) == "-" else receipt_file.read_bytes()
            )
        except OSError as exc:
            raise exit_with(f"INVALID: cannot read {receipt_file}: {exc.strerror}") from None
        # A registration certificate (GET /assets/{id}/certificate) carries its receipt.
        data, certificate = certificate_receipt(data)
        try:
            receipt = parse_receipt(data)
            summary = verify_receipt(
                receipt,
                lambda address: connect(url, recorder_key=None, contract_address=address),
                pin,
            )
        except ReceiptInvalid as exc:
            raise exit_with(f"INVALID: {exc}") from None
        if certificate is not None:
            chain = connect(url, recorder_key=None, contract_address=receipt.contract)
            try:
                check_countersigner(chain, certificate.countersigner)
            finally:
                chain.close()
            summary = f"{certificate.summary}; {summary}"
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 -- one line, never a traceback
        text = str(exc).strip().splitlines()
        raise exit_with(f"INVALID: {type(exc).__name__}: {text[0] if text else ''}"[:400]) from None
    print(summary)
    if pin is None:
        raise unpinned(receipt.contract, "the receipt")


@dataclass(frozen=True)
class CheckedCertificate:
    """A certificate whose signatures and journal entry check out (the chain is next)."""

    summary: str
    countersigner: str  # the exchange's address: must be a recorder on the anchor contract


def certificate_receipt(data: bytes) -> tuple[bytes, CheckedCertificate | None]:
    """When ``data`` is a certificate document: check its signatures and that it is exactly the
    payload of the entry its receipt proves, and return (the receipt's bytes, the certificate).
    Anything else is returned unchanged, for the receipt verifier."""
    from marketplace.assets.certificate import (
        CertificateInvalid,
        check_certificate_document,
        is_certificate_document,
    )

    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return data, None
    if not is_certificate_document(document):
        return data, None
    try:
        receipt = check_certificate_document(document)
    except CertificateInvalid as exc:
        raise exit_with(f"INVALID: certificate: {exc}") from None
    if receipt is None:
        raise exit_with(
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


def check_countersigner(chain: Web3AnchorChain, countersigner: str) -> None:
    """The exchange countersigns with its anchoring key, so the countersigner must hold
    RECORDER_ROLE on the contract that anchors the certificate's entry."""
    from ledger.chain import ChainError
    from ledger.errors import first_line

    contract = chain.contract
    try:
        is_recorder = contract.has_role(contract.recorder_role(), countersigner)
    except ChainError as exc:
        raise exit_with(
            f"INVALID: certificate: cannot read the countersigner's role on {contract.address}: "
            f"{first_line(exc)}"
        ) from None
    if not is_recorder:
        raise exit_with(
            f"INVALID: certificate: the countersigner {countersigner} does not hold RECORDER_ROLE "
            f"on the anchor contract {contract.address}"
        )
