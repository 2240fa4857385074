"""bourse worker | ledger receipt SEQ | ledger verify | verify RECEIPT.json"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

ledger_app = typer.Typer(help="The tamper-evident journal and its anchors.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    print(message.replace("\n", " "), file=sys.stderr)
    return typer.Exit(code)


def worker() -> None:
    """Run the anchoring worker alone (set DATABOURSE_WORKER_IN_PROCESS=false on the servers)."""
    from ledger.anchoring import AnchorWorker
    from ledger.chain.base import ChainError, ChainInUse
    from marketplace.chain_runtime import anchor_config, chain_handle
    from marketplace.db import make_engine
    from marketplace.observability import configure_logging
    from marketplace.runtime import Runtime
    from marketplace.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    engine = make_engine(settings.database_url)
    runtime = Runtime(settings=settings, engine=engine)
    handle = chain_handle(runtime)
    try:
        handle.get()
    except ChainInUse as exc:  # an eth-tester directory another process (a server) holds
        handle.close()
        engine.dispose()
        raise _fail(f"error: {exc}") from None
    except ChainError:
        pass  # unreachable for now: the worker backs off and catches up when it answers
    anchor_worker = AnchorWorker(engine, handle.get, anchor_config(settings))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger(__name__).info(
        "anchoring worker %s started",
        anchor_worker.holder,
        extra={"fields": {"holder": anchor_worker.holder, "chain_url": settings.chain_url}},
    )
    try:
        anchor_worker.run(stop)
    finally:
        handle.close()
        engine.dispose()


@ledger_app.command("receipt")
def receipt(
    seq: Annotated[int, typer.Argument(min=1, help="The entry's journal seq.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="Fetch it from this exchange (no login) instead of the local database."
        ),
    ] = None,
) -> None:
    """Print (or write) the receipt of entry SEQ, for `bourse verify`."""
    if url is not None:
        _write_receipt(seq, _fetched_receipt(seq, url), output)
        return
    from sqlmodel import Session

    from ledger.errors import EntryNotFound, NotAnchored
    from ledger.receipts import build_receipt
    from marketplace.db import make_engine
    from marketplace.settings import get_settings

    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as s:
            doc = build_receipt(s, seq)
    except (EntryNotFound, NotAnchored) as exc:
        raise _fail(f"error: {exc}") from None
    finally:
        engine.dispose()
    _write_receipt(seq, doc, output)


def _fetched_receipt(seq: int, url: str) -> dict[str, object]:
    from marketplace.cli.common import reading_client
    from marketplace.client import DatabourseClientError

    with reading_client(url) as client:
        try:
            return client.receipt(seq)
        except DatabourseClientError as exc:
            raise _fail(f"error: {exc.code}: {exc.message}") from None


def _write_receipt(seq: int, doc: object, output: Path | None) -> None:
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"receipt of entry {seq} written to {output}")


@ledger_app.command("verify")
def verify_journal(
    offline: Annotated[
        bool, typer.Option(help="Skip the chain: check hashes and roots only.")
    ] = False,
) -> None:
    """Re-derive the whole hash chain and every batch root, and check the roots on chain."""
    from sqlalchemy import select
    from sqlmodel import Session

    from ledger.chain import connect
    from ledger.chain.base import AnchorChain, ChainError
    from ledger.models import AnchorBatch
    from ledger.verify import verify_journal as run
    from marketplace.db import make_engine
    from marketplace.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.database_url)
    chain: AnchorChain | None = None
    try:
        with Session(engine) as s:
            contract = (
                settings.anchor_contract_address
                or s.execute(
                    select(AnchorBatch.contract).order_by(AnchorBatch.id.desc()).limit(1)  # type: ignore[call-overload,attr-defined]
                ).scalar()
            )
        if not offline:
            if contract is None:
                raise _fail(
                    "FAILED: cannot check the chain: no contract is known (no batch yet, "
                    "DATABOURSE_ANCHOR_CONTRACT_ADDRESS unset); use --offline to check the "
                    "hash chain only"
                )
            # Read-only: no recorder key, and the embedded chain may be in use by the server.
            chain = connect(settings.chain_url, recorder_key=None, contract_address=contract)
        report = run(engine, chain)
        checked = (
            "hash chain and batch roots only, chain not read"
            if chain is None
            else f"roots of {report.batches_on_chain} batches checked on chain "
            f"{chain.chain_id} at {chain.contract_address}"
        )
    except ChainError as exc:
        raise _fail(f"FAILED: chain {settings.chain_url}: {exc}") from None
    finally:
        if chain is not None:
            chain.close()
        engine.dispose()
    if not report.ok:
        where = f" at seq {report.first_bad_seq}" if report.first_bad_seq is not None else ""
        raise _fail(f"FAILED{where}: {report.reason}")
    print(
        f"ok: {report.entries} entries and {report.batches} batches verified ({checked}) "
        f"in {report.elapsed_s:.2f}s ({report.entries_per_s:,.0f} entries/s)"
    )


def verify_receipt_command(
    receipt_file: Annotated[Path, typer.Argument(help="A receipt JSON file ('-' for stdin).")],
    chain_url: Annotated[
        str | None,
        typer.Option("--chain", help="Chain URL (default: DATABOURSE_CHAIN_URL)."),
    ] = None,
) -> None:
    """Verify a receipt with nothing but the chain: entry hash, proof, anchored root."""
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
            raise _fail(f"INVALID: cannot read {receipt_file}: {exc.strerror}") from None
        # A registration certificate (GET /assets/{id}/certificate) carries its receipt.
        from marketplace.assets.cli import certificate_receipt, check_countersigner

        data, certificate = certificate_receipt(data, _fail)
        try:
            receipt = parse_receipt(data)
            summary = verify_receipt(
                receipt,
                lambda address: connect(url, recorder_key=None, contract_address=address),
            )
        except ReceiptInvalid as exc:
            raise _fail(f"INVALID: {exc}") from None
        if certificate is not None:
            chain = connect(url, recorder_key=None, contract_address=receipt.contract)
            try:
                check_countersigner(chain, certificate.countersigner, _fail)
            finally:
                chain.close()
            summary = f"{certificate.summary}; {summary}"
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 -- one line, never a traceback
        text = str(exc).strip().splitlines()
        raise _fail(f"INVALID: {type(exc).__name__}: {text[0] if text else ''}"[:400]) from None
    print(summary)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("verify")(verify_receipt_command)
    app.add_typer(ledger_app, name="ledger")
