"""bourse verify RECEIPT.json: check a receipt, or a registration certificate with the receipt
it carries, or a dispute's dossier zip item by item, with nothing but the chain (exit statuses
in ``pinning``)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketplace.cli.pinning import (
    ContractOption,
    TrustOption,
    auditor_setting,
    exit_with,
    pin_of,
    unpinned,
)

if TYPE_CHECKING:  # the chain and certificate modules load web3: imported when a check runs
    from collections.abc import Callable

    from ledger.chain import Web3AnchorChain
    from ledger.trust import Pin
    from ledger.verify import Receipt


def verify_receipt_command(
    receipt_file: Annotated[
        Path,
        typer.Argument(help="A receipt, a certificate or a dossier zip ('-' for stdin)."),
    ],
    chain_url: Annotated[
        str | None,
        typer.Option("--chain", help="Chain URL (default: DATABOURSE_CHAIN_URL)."),
    ] = None,
    contract_pin: ContractOption = None,
    trust: TrustOption = None,
    served_file: Annotated[
        Path | None,
        typer.Option(
            "--served",
            help="With a delivery.receipted receipt: the receipt of the delivery.served entry "
            "it names, verified too and compared with it.",
        ),
    ] = None,
) -> None:
    """Verify a receipt, certificate or dispute dossier with nothing but the chain.

    A receipt: entry hash, proof, anchored root. A buyer's delivery receipt with --served: both
    receipts, and that the buyer receipted that download's licence, order and bytes. A dossier
    zip (`bourse dispute dossier`): every item, one table row each (file hash, signature,
    receipt).

    Exit status: 0 valid against a pinned contract, 1 INVALID, 2 usage error,
    3 valid but not pinned (the output names the contract it trusted)."""
    pin = pin_of(contract_pin, trust)
    data = _read(receipt_file)
    if served_file is not None and data[:4] == ZIP_MAGIC:
        raise exit_with("error: --served goes with a delivery receipt, not a dossier", 2)
    try:
        from ledger.chain import connect
        from ledger.verify import ReceiptInvalid, parse_receipt, verify_receipt

        if chain_url is None:
            from marketplace.settings import Settings

            default: str = Settings.model_fields["chain_url"].default
            chain_url = auditor_setting("CHAIN_URL") or default
        url = chain_url
        if data[:4] == ZIP_MAGIC:  # a dispute's dossier (GET /disputes/{id}/dossier)
            verify_dossier_zip(data, url, pin)
            return
        # A registration certificate (GET /assets/{id}/certificate) carries its receipt.
        data, certificate = certificate_receipt(data)

        def chain_of(address: str) -> Web3AnchorChain:
            return connect(url, recorder_key=None, contract_address=address)

        try:
            receipt = parse_receipt(data)
            summary = verify_receipt(receipt, chain_of, pin)
            if served_file is not None:
                summary += "; " + verify_served(receipt, _read(served_file), chain_of, pin)
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


ZIP_MAGIC = b"PK\x03\x04"


def _read(path: Path) -> bytes:
    try:
        return sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise exit_with(f"INVALID: cannot read {path}: {exc.strerror}") from None


def verify_served(
    receipted: Receipt, data: bytes, chain_of: Callable[[str], Web3AnchorChain], pin: Pin | None
) -> str:
    """Verify ``data``, the receipt of the ``delivery.served`` entry the buyer's
    ``delivery.receipted`` entry ``receipted`` names, on the same contract, and that the two
    record the same licence, order, download and bytes (docs/delivery.md). Raises
    ``ReceiptInvalid``; returns what it proved."""
    from ledger.verify import ReceiptInvalid, parse_receipt, verify_receipt
    from ledger.verify.signer import RECEIPTED_KIND, receipt_mismatch

    if receipted.entry["kind"] != RECEIPTED_KIND:
        raise ReceiptInvalid(
            f"--served checks a {RECEIPTED_KIND} receipt; entry {receipted.seq} is "
            f"{receipted.entry['kind']}"
        )
    served = parse_receipt(data)
    if (served.chain_id, served.contract.lower()) != (
        receipted.chain_id,
        receipted.contract.lower(),
    ):
        raise ReceiptInvalid(
            f"the served entry's receipt names contract {served.contract} on chain "
            f"{served.chain_id}, the buyer's receipt {receipted.contract} on chain "
            f"{receipted.chain_id}"
        )
    verify_receipt(served, chain_of, pin)
    mismatch = receipt_mismatch(receipted.entry, served.entry)
    if mismatch is not None:
        raise ReceiptInvalid(mismatch)
    return (
        f"the buyer's receipt of the download served in entry {served.seq} (verified too), "
        f"sha256 {served.entry['payload']['sha256']}"
    )


def verify_dossier_zip(data: bytes, url: str, pin: Pin | None) -> None:
    """Check every item of a dossier and print a table; exit 1 naming the first failed item, or
    3 (after the table) when nothing pinned the contract."""
    from rich.console import Console
    from rich.table import Table

    from ledger.chain import connect
    from ledger.verify.dossier import DossierInvalid, read_dossier, verify_dossier

    try:
        dossier = read_dossier(data)
    except DossierInvalid as exc:
        raise exit_with(f"INVALID: {exc}") from None
    report = verify_dossier(
        dossier, lambda address: connect(url, recorder_key=None, contract_address=address), pin
    )
    table = Table("item", "kind", "seq", "result", title=f"dossier of dispute {report.dispute_id}")
    for item in report.items:
        result = (
            "ok: " + "; ".join(item.checked) if item.ok else f"[red]FAILED[/red]: {item.reason}"
        )
        table.add_row(item.label, item.kind, str(item.seq or "-"), result)
    Console(width=200).print(table)
    if not report.ok:
        first = report.failed[0] if report.failed else None
        reason = f"item {first.label}: {first.reason}" if first is not None else report.problems[0]
        count = len(report.failed) + len(report.problems)
        raise exit_with(f"INVALID: {reason}" + (f" (and {count - 1} more)" if count > 1 else ""))
    if len(report.contracts) > 1:
        raise exit_with(f"INVALID: the receipts name {len(report.contracts)} contracts")
    print(
        f"valid: dossier of dispute {report.dispute_id}: {len(report.items)} items verified "
        f"on chain"
    )
    if pin is None:
        raise unpinned(report.contracts[0] if report.contracts else "?", "the dossier")


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
