"""Requesting a quality evaluation and the background job that runs it: who may ask, which
request waits for which, reading the revision through the delivery path, and recording the
report with its journal entry. Never commits (the job's units of work commit at its own edge)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Protocol

from eth_account import Account
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace import limits
from marketplace.assets import visibility
from marketplace.assets.errors import AssetStateConflict, NotAssetOwner
from marketplace.assets.service import stored_revision, visible_asset, visible_revision
from marketplace.blobs.envelope import decrypt_stream, unwrap_key
from marketplace.blobs.store import BlobNotFound, BlobStore
from marketplace.db import unit_of_work
from marketplace.principal import Principal
from marketplace.quality import repository
from marketplace.quality.declared import Declared
from marketplace.quality.errors import DeclarationError, NotEvaluable
from marketplace.quality.evaluation import evaluate
from marketplace.quality.models import EvaluationStatus, QualityEvaluation
from marketplace.quality.report import FORMATS, QualityReport, is_format
from marketplace.quality.schemas import EvaluationRequest
from marketplace.settings import Settings

log = logging.getLogger("databourse.quality")
PROGRESS_STEP_PERCENT = 5  # the row is updated when progress moves at least this much


class UploadedRevision(Protocol):
    """What the job reads of an uploaded revision to decrypt it."""

    @property
    def asset_id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def blob_key(self) -> str | None: ...
    @property
    def wrapped_key(self) -> bytes | None: ...


def exchange_address(settings: Settings) -> str:
    """The exchange's own address: the actor of the entries it writes by itself."""
    address: str = Account.from_key(settings.anchor_recorder_key.get_secret_value()).address
    return address


def _active(session: Session, asset_id: int, number: int) -> list[QualityEvaluation]:
    stale = utc_now() - timedelta(seconds=limits.quality_running_stale_s)
    return repository.active(session, asset_id, number, running_since=stale)


def request_evaluation(
    session: Session, principal: Principal, asset_id: int, number: int, body: EvaluationRequest
) -> QualityEvaluation:
    """Queue an evaluation of one uploaded tabular revision (owner or operator).

    A queued or running evaluation of the revision with the same declarations is returned
    instead of a second one. One with other declarations that has not started yet takes the new
    ones (the latest request wins); otherwise a new one is queued. So a revision has at most one
    evaluation waiting to start, and the latest requested is the one whose report is shown."""
    asset = visible_asset(session, principal, asset_id)
    if not visibility.is_insider(principal, asset):
        raise NotAssetOwner("only the owner or an operator may request a quality evaluation")
    asset, revision = visible_revision(session, principal, asset_id, number)
    if str(revision.content_format) not in FORMATS:
        raise NotEvaluable(f"revision {number} is {revision.content_format}, not a table")
    if revision.blob_key is None:
        raise NotEvaluable(f"revision {number} is an external source; only uploads are judged")
    try:
        declared = Declared.parse(
            schema=body.table_schema if body.table_schema is not None else revision.table_schema,
            rules=body.rules,
            update_frequency=body.update_frequency or asset.accrual_periodicity,
            timestamp_field=body.timestamp_field,
            schema_inferred=body.table_schema is None and not revision.schema_corrected,
        ).to_json()
    except DeclarationError as exc:
        raise NotEvaluable(str(exc)) from None
    waiting: QualityEvaluation | None = None
    for evaluation in _active(session, asset_id, number):
        if evaluation.declared == declared:
            return evaluation
        if evaluation.status == EvaluationStatus.queued:
            waiting = evaluation
    if waiting is not None:
        assert waiting.id is not None
        # Locked, so that its job cannot start on the old declarations meanwhile.
        row = repository.locked(session, waiting.id)
        if row is not None and row.status == EvaluationStatus.queued:
            row.declared = declared
            row.requested_by = principal.account_id
            row.updated_at = utc_now()
            return row
    return repository.add(
        session,
        QualityEvaluation(
            asset_id=asset_id,
            revision=number,
            declared=declared,
            requested_by=principal.account_id,
        ),
    )


def evaluate_after_correction(
    session: Session, settings: Settings, principal: Principal, asset_id: int, number: int
) -> int | None:
    """Queue, in the schema correction's own transaction, the evaluation of the revision against
    its corrected schema, and return its id for the job to run once that transaction commits.
    None when automatic evaluations are off (``quality_evaluate_on_upload``), the revision is
    no uploaded table, or an evaluation of the same declarations is already running."""
    if not settings.quality_evaluate_on_upload:
        return None
    revision = stored_revision(session, asset_id, number)
    if revision is None or str(revision.content_format) not in FORMATS or not revision.blob_key:
        return None
    evaluation = request_evaluation(session, principal, asset_id, number, EvaluationRequest())
    return evaluation.id if evaluation.status == EvaluationStatus.queued else None


def start_after_upload(
    engine: Engine,
    settings: Settings,
    store: BlobStore,
    principal: Principal,
    *,
    asset_id: int,
    number: int,
    content_format: str,
) -> Callable[[], None] | None:
    """Queue the evaluation of a revision just uploaded (and committed), in a transaction of its
    own, and return the job to run in the background; None for a non-tabular upload, or when
    ``quality_evaluate_on_upload`` is off. Never
    raises: the upload has succeeded whatever happens here, and a failure to schedule is logged
    (the owner can still ask with ``POST /assets/{id}/revisions/{n}/quality``)."""
    if content_format not in FORMATS or not settings.quality_evaluate_on_upload:
        return None
    try:
        with unit_of_work(engine) as session:
            evaluation = request_evaluation(
                session, principal, asset_id, number, EvaluationRequest()
            )
            evaluation_id, status = evaluation.id, evaluation.status
    except Exception:  # the upload must not fail because scheduling did
        log.exception("quality evaluation of asset %s revision %s not scheduled", asset_id, number)
        return None
    assert evaluation_id is not None
    if status != EvaluationStatus.queued:
        return None
    return partial(run_evaluation, engine, settings, store, evaluation_id)


def _plaintext(settings: Settings, store: BlobStore, revision: UploadedRevision) -> Iterator[bytes]:
    """The revision's bytes through the delivery path: the blob store and the decryptor."""
    assert revision.blob_key is not None
    assert revision.wrapped_key is not None
    data_key = unwrap_key(
        settings.master_key_bytes, revision.wrapped_key, revision.blob_key.encode()
    )
    with store.open(revision.blob_key) as source:
        yield from decrypt_stream(data_key, source)


@contextmanager
def _plaintext_file(
    settings: Settings, store: BlobStore, revision: UploadedRevision
) -> Iterator[tuple[Path, str | None]]:
    """Decrypt the revision into an anonymous in-memory file and yield its path with the read
    error, if the delivery path failed part-way.

    The file comes from ``memfd_create``: it lives in memory, has no name in any filesystem and
    vanishes when closed, so plaintext never reaches disk, while polars can still scan it lazily
    through ``/proc/self/fd/N`` as it would a file. It holds at most
    ``quality_memory_file_bytes_max`` bytes."""
    fd = os.memfd_create(f"databourse-revision-{revision.asset_id}-{revision.number}")
    error: str | None = None
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            written = 0
            try:
                for chunk in _plaintext(settings, store, revision):
                    written += len(chunk)
                    if written > limits.quality_memory_file_bytes_max:
                        error = (
                            f"larger than {limits.quality_memory_file_bytes_max} bytes, the most "
                            "the service evaluates"
                        )
                        break
                    out.write(chunk)
            except (ValueError, OSError, BlobNotFound) as exc:  # DecryptionError: ValueError
                error = f"{type(exc).__name__}: {exc}"
        yield Path(f"/proc/self/fd/{fd}"), error
    finally:
        os.close(fd)


def _failing(path: Path, error: str) -> Iterator[bytes]:
    """What was read, then the delivery path's failure (the accessibility dimension's input)."""
    with path.open("rb") as source:
        while block := source.read(limits.quality_read_chunk_bytes):
            yield block
    raise OSError(error)


def run_evaluation(
    engine: Engine, settings: Settings, store: BlobStore, evaluation_id: int
) -> None:
    """The background job: the evaluation, then the ones of the same revision that waited for
    it. One revision is evaluated by one job at a time, so that requests with new declarations
    (schema corrections) hold one decrypted copy of it in memory, not one each."""
    next_id: int | None = evaluation_id
    while next_id is not None:
        next_id = _run_one(engine, settings, store, next_id)


def _run_one(
    engine: Engine, settings: Settings, store: BlobStore, evaluation_id: int
) -> int | None:
    """Run one queued evaluation; return the revision's next waiting one, if this one ran.
    Every outcome is recorded on the row; it never raises for a bad file (the report says
    what could not be judged) and marks the row failed otherwise. An evaluation whose revision
    is being evaluated stays queued: the running job takes it next."""
    with unit_of_work(engine) as session:
        # Locked: a request may be giving this queued evaluation new declarations right now.
        evaluation = repository.locked(session, evaluation_id)
        if evaluation is None or evaluation.status != EvaluationStatus.queued:
            return None
        active = _active(session, evaluation.asset_id, evaluation.revision)
        if any(e.status == EvaluationStatus.running for e in active):
            return None
        asset_id, number = evaluation.asset_id, evaluation.revision
        evaluation.status = EvaluationStatus.running
        evaluation.stage = "reading"
        evaluation.updated_at = utc_now()
        revision = stored_revision(session, evaluation.asset_id, evaluation.revision)
        assert revision is not None
        session.expunge(revision)
        declared = Declared.parse(
            schema=evaluation.declared.get("schema"),
            rules=evaluation.declared.get("rules"),
            update_frequency=evaluation.declared.get("update_frequency"),
            timestamp_field=evaluation.declared.get("timestamp_field"),
            schema_inferred=bool(evaluation.declared.get("schema_inferred")),
        )
    last = [0]

    def progress(percent: int, stage: str) -> None:
        if percent - last[0] < PROGRESS_STEP_PERCENT and percent != 100:
            return
        last[0] = percent
        with unit_of_work(engine) as s:
            row = repository.get(s, evaluation_id)
            assert row is not None
            row.progress_percent, row.stage, row.updated_at = percent, stage[:32], utc_now()

    try:
        content_format = str(revision.content_format)
        assert is_format(content_format), "only tabular revisions are queued"
        with _plaintext_file(settings, store, revision) as (path, read_error):
            report = evaluate(
                path,
                fmt=content_format,
                declared=declared,
                chunks=_failing(path, read_error) if read_error is not None else None,
                expected_sha256=revision.sha256,
                weights=settings.quality_weights,
                progress=progress,
            )
        # Recorded in the try: a report that cannot be stored (or hashed) fails the evaluation,
        # never leaves it running, which would keep its revision's next ones queued for ever.
        with unit_of_work(engine) as session:
            record(session, settings, evaluation_id, report, utc_now())
    except Exception as exc:  # noqa: BLE001 -- a job must record, not lose, what went wrong
        with unit_of_work(engine) as session:
            row = repository.get(session, evaluation_id)
            assert row is not None
            row.status, row.error, row.updated_at = (
                EvaluationStatus.failed,
                f"{type(exc).__name__}: {exc}"[:2000],
                utc_now(),
            )
    with unit_of_work(engine) as session:  # after this one's end has committed
        waiting = _active(session, asset_id, number)
        return next((e.id for e in waiting if e.status == EvaluationStatus.queued), None)


def record(
    session: Session, settings: Settings, evaluation_id: int, report: QualityReport, now: datetime
) -> QualityEvaluation:
    """Store the report and write ``quality.assessed`` in the same transaction. The journal is
    public and the revision may not be registered yet, so the entry holds ids and hashes, never
    a score: the report hash binds the figures, shown only to those who may see them."""
    evaluation = repository.get(session, evaluation_id)
    assert evaluation is not None
    report_hash = report.report_hash()
    entry = journal.append(
        session,
        kind="quality.assessed",
        subject=f"asset:{evaluation.asset_id}",
        actor=exchange_address(settings),
        payload={
            "asset_id": evaluation.asset_id,
            "revision": evaluation.revision,
            "evaluation_id": evaluation_id,
            "content_hash": report.content_sha256,
            "report_hash": report_hash,
        },
    )
    evaluation.report = report.model_dump(mode="json")
    evaluation.report_hash = report_hash
    evaluation.content_sha256 = report.content_sha256
    evaluation.journal_seq = entry.seq
    evaluation.status = EvaluationStatus.done
    evaluation.progress_percent = 100
    evaluation.stage = "done"
    evaluation.updated_at = now
    return evaluation


def delete_for_draft(session: Session, asset_id: int) -> None:
    """Before a draft is deleted: its evaluations go with it, unless one is still queued or
    running (409: the job would write to a deleted revision)."""
    running = repository.active_for_asset(session, asset_id)
    if running is not None:
        raise AssetStateConflict(
            f"the quality evaluation of asset {asset_id} revision {running.revision} is "
            f"{running.status}; delete the draft when it has finished"
        )
    repository.delete_for_asset(session, asset_id)
