"""bourse worker | ledger receipt SEQ | ledger verify | ledger info | ledger trust save
(``bourse verify`` is in ``verify``; the exit statuses of both verifiers in ``pinning``)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledger.errors import first_line
from marketplace.cli import verify
from marketplace.cli.pinning import (
    WELL_KNOWN_PATH,
    ContractOption,
    TrustOption,
    default_trust_path,
    exit_with,
    pin_of,
    unpinned,
)

if TYPE_CHECKING:
    from ledger.trust import TrustAnchor

ledger_app = typer.Typer(help="The tamper-evident journal and its anchors.", no_args_is_help=True)
trust_app = typer.Typer(help="The exchange's published trust anchor.", no_args_is_help=True)
ledger_app.add_typer(trust_app, name="trust")

TRUST_FETCH_TIMEOUT_S = 10.0


def worker() -> None:
    """Run the anchoring, webhook delivery, settlement, payments and dispute-execution workers
    alone (set DATABOURSE_WORKER_IN_PROCESS=false on the servers). Several may run: they
    coordinate through the database."""
    from ledger.anchoring import AnchorWorker
    from ledger.chain.base import ChainError, ChainInUse
    from marketplace.books.payment_job import PaymentWorker
    from marketplace.chain_runtime import anchor_config, chain_handle
    from marketplace.db import make_engine
    from marketplace.disputes.execution_job import ExecutionWorker
    from marketplace.migrations import upgrade_embedded
    from marketplace.notifications import DeliveryWorker
    from marketplace.observability import configure_logging
    from marketplace.orders.settlement_job import SettlementWorker
    from marketplace.redaction import secrets_of
    from marketplace.runtime import Runtime
    from marketplace.settings import get_settings
    from marketplace.workers import load_domains, stop_on_signals

    load_domains()
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json, secrets_of(settings))
    engine = make_engine(settings.database_url)
    upgrade_embedded(engine)  # as the server does: never run jobs on a schema of another version
    runtime = Runtime(settings=settings, engine=engine)
    handle = chain_handle(runtime)
    try:
        handle.get()
    except ChainInUse as exc:  # an eth-tester directory another process (a server) holds
        handle.close()
        engine.dispose()
        raise exit_with(f"error: {exc}") from None
    except ChainError:
        pass  # unreachable for now: the worker backs off and catches up when it answers
    anchor_worker = AnchorWorker(engine, handle.get, anchor_config(settings))
    stop = stop_on_signals()
    logging.getLogger(__name__).info(
        "anchoring worker %s started",
        anchor_worker.holder,
        extra={"fields": {"holder": anchor_worker.holder, "chain_url": settings.chain_url}},
    )
    jobs = [
        job(engine, settings)
        for job in (DeliveryWorker, SettlementWorker, PaymentWorker, ExecutionWorker)
    ]
    for running in jobs:
        running.start()
    try:
        anchor_worker.run(stop)
    finally:
        for running in reversed(jobs):
            running.stop()
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
        raise exit_with(f"error: {exc}") from None
    finally:
        engine.dispose()
    _write_receipt(seq, doc, output)


def _fetched_receipt(seq: int, url: str) -> dict[str, object]:
    from marketplace.cli.common import reading_client
    from marketplace.client import DatabourseClientError

    with reading_client(url) as client:
        try:
            return client.ledger.receipt(seq)
        except DatabourseClientError as exc:
            raise exit_with(f"error: {exc.code}: {exc.message}") from None


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
    contract_pin: ContractOption = None,
    trust: TrustOption = None,
) -> None:
    """Re-derive the whole hash chain and every batch root, and check the roots on chain.

    Exit status: 0 verified against a pinned contract, 1 FAILED, 2 usage error, 3 verified
    but not pinned (the output names the contract it trusted)."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from ledger.chain import connect
    from ledger.chain.base import AnchorChain, ChainError
    from ledger.models import AnchorBatch
    from ledger.verify import verify_journal as run
    from marketplace.db import make_engine
    from marketplace.settings import get_settings

    settings = get_settings()
    pin = pin_of(contract_pin, trust)
    engine = make_engine(settings.database_url)
    chain: AnchorChain | None = None
    try:
        with Session(engine) as s:
            contract = (pin.contract if pin is not None else None) or s.execute(
                select(col(AnchorBatch.contract)).order_by(col(AnchorBatch.id).desc()).limit(1)
            ).scalar()
        if not offline:
            if contract is None:
                raise exit_with(
                    "FAILED: cannot check the chain: no contract is known (no batch yet, "
                    "nothing pinned); use --offline to check the hash chain only"
                )
            # Read-only: no recorder key, and the embedded chain may be in use by the server.
            chain = connect(settings.chain_url, recorder_key=None, contract_address=contract)
            if pin is not None and pin.chain_id not in (None, chain.chain_id):
                raise exit_with(
                    f"FAILED: chain {settings.chain_url} is chain id {chain.chain_id}, not the "
                    f"pinned chain {pin.chain_id}"
                )
        report = run(engine, chain, pin=pin)
        checked = (
            "hash chain and batch roots only, chain not read"
            if chain is None
            else f"roots of {report.batches_on_chain} batches checked on chain "
            f"{chain.chain_id} at {chain.contract_address}"
        )
    except ChainError as exc:
        raise exit_with(f"FAILED: chain {settings.chain_url}: {exc}") from None
    finally:
        if chain is not None:
            chain.close()
        engine.dispose()
    if not report.ok:
        where = f" at seq {report.first_bad_seq}" if report.first_bad_seq is not None else ""
        raise exit_with(f"FAILED{where}: {report.reason}")
    print(
        f"ok: {report.entries} entries and {report.batches} batches verified ({checked}) "
        f"in {report.elapsed_s:.2f}s ({report.entries_per_s:,.0f} entries/s)"
    )
    if pin is None and not offline:
        raise unpinned(str(contract), "the newest batch in this database")


def _describe(anchor: TrustAnchor) -> str:
    deployed = (
        "unknown (the chain cannot tell)"
        if anchor.deployment_tx_hash is None
        else f"tx {anchor.deployment_tx_hash}, block {anchor.deployment_block_number}"
    )
    return (
        f"chain id     {anchor.chain_id}\n"
        f"contract     {anchor.contract}\n"
        f"deployed in  {deployed}\n"
        f"recorder     {anchor.recorder or 'unknown'}"
    )


@ledger_app.command("info")
def info(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the trust document (a trust file).")
    ] = False,
) -> None:
    """Print this exchange's trust anchor (chain, contract, deployment, recorder).

    The same as /.well-known/databourse.json publishes; `bourse ledger info --json >
    trust.json` makes a trust file for `--trust`."""
    from ledger.chain.base import ChainError
    from ledger.connection import open_read_only
    from marketplace.db import make_engine
    from marketplace.settings import get_settings
    from marketplace.transparency.service import trust_anchor

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        chain = open_read_only(engine, settings.chain_url, settings.anchor_contract_address)
        try:
            anchor = trust_anchor(chain, settings)
        finally:
            chain.close()
    except ChainError as exc:
        raise exit_with(f"error: chain {settings.chain_url}: {exc}") from None
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(anchor.document(), indent=2))
        return
    print(_describe(anchor))
    print(f"published at {settings.public_url.rstrip('/')}{WELL_KNOWN_PATH}")


@trust_app.command("save")
def trust_save(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="The exchange's URL (its /.well-known/databourse.json is read), the document's "
            "own URL, or a local trust file.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to save it (default: the verifiers' default)."),
    ] = None,
    chain_url: Annotated[
        str | None,
        typer.Option(
            "--chain",
            help="Check it on this chain first: chain id, deployment transaction, recorder role.",
        ),
    ] = None,
) -> None:
    """Save an exchange's trust anchor once, to pin every later verification.

    `bourse verify` and `bourse ledger verify` then refuse any other contract or chain.
    Compare the contract with an address published elsewhere before relying on it."""
    from ledger.trust import TrustInvalid, parse_trust

    data = _read_trust_source(source)
    try:
        anchor = parse_trust(data)
    except TrustInvalid as exc:
        raise exit_with(f"error: {source}: {exc}") from None
    checked = None if chain_url is None else _check_trust(anchor, chain_url)
    path = output or default_trust_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(anchor.document(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise exit_with(f"error: cannot write {path}: {exc.strerror}") from None
    print(_describe(anchor))
    print(checked or "not checked on chain (add --chain URL to check it)")
    print(
        f"saved to {path}. Check the contract address against one the exchange publishes "
        "elsewhere (its home page, an announcement, a block explorer) before relying on it."
    )


def _check_trust(anchor: TrustAnchor, chain_url: str) -> str:
    """One line saying what the chain confirmed; exit 1 when it contradicts the anchor."""
    from ledger.chain import connect
    from ledger.chain.base import ChainError
    from ledger.trust import TrustInvalid, check_trust_on_chain

    try:
        chain = connect(chain_url, recorder_key=None, contract_address=anchor.contract)
        try:
            return check_trust_on_chain(anchor, chain)
        finally:
            chain.close()
    except TrustInvalid as exc:
        raise exit_with(f"INVALID: trust anchor: {exc}; nothing saved") from None
    except ChainError as exc:
        raise exit_with(f"error: chain {chain_url}: {first_line(exc)}") from None


def _read_trust_source(source: str) -> bytes:
    """The trust document at an http(s) URL (the exchange's, or the document's own), or in a
    local file. One line on failure, never a traceback."""
    from urllib.parse import urlsplit

    import httpx

    from ledger.limits import trust_document_bytes_max

    if urlsplit(source).scheme not in ("http", "https"):
        try:
            return Path(source).read_bytes()[: trust_document_bytes_max + 1]
        except OSError as exc:
            raise exit_with(f"error: cannot read {source}: {exc.strerror}") from None
    url = source if source.endswith(".json") else source.rstrip("/") + WELL_KNOWN_PATH
    try:
        with httpx.stream(
            "GET", url, timeout=TRUST_FETCH_TIMEOUT_S, follow_redirects=True
        ) as response:
            if response.status_code != 200:
                raise exit_with(f"error: {url} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > trust_document_bytes_max:
                    break
            return body
    except httpx.HTTPError as exc:
        raise exit_with(f"error: cannot fetch {url}: {type(exc).__name__}: {exc}") from None


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("verify")(verify.verify_receipt_command)
    app.add_typer(ledger_app, name="ledger")
