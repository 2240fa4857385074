"""The dispute pages (docs/pages.md, "Dispute pages"): for the parties (buyer and supplier) and
the drawn arbitrators. Each route calls the service its JSON endpoint calls
(``marketplace/disputes/endpoints``), with the same guard; who may see or do what is the
services' business (``disputes.service.access``), never checked here.

- ``GET /disputes``: the viewer's disputes (``views.my_disputes``);
- ``GET|POST /disputes/new?order_id=&period=``: open a dispute on an order, or one period of a
  subscription or metered order (``opening.open_dispute``);
- ``GET /disputes/{id}``: the case, its dossier timeline checked live (``dossier.dossier_view``,
  the console's ``GET /disputes/{id}/record``), its evidence and the forms the viewer may use;
- ``POST /disputes/{id}/statement`` and ``/file``: evidence (``evidence.submit``); the file
  form sends small files (``PAGE_FILE_BYTES_MAX``) without script;
- ``PUT /upload/disputes/{id}/file``: the file form's upload by script, with a progress bar, up
  to the API's ``evidence_file_bytes_max`` (``pages.uploads``: the raw body, the session cookie
  and the ``X-CSRF-Token`` header; the API's own length checks and abuse limit);
- ``GET /disputes/{id}/evidence/{eid}/download`` and ``/dossier.zip``: the API's bytes;
- ``POST /disputes/{id}/rule``, ``/vote``, ``/appeals``: ``rulings.rule``/``vote``/``appeal``
  (the API's own paths, ``/ruling`` ``/votes`` ``/appeal``, take JSON).

``GET /disputes``, ``/disputes/new`` and ``/disputes/{id}`` are the API's paths as well: they are
served by ``BrowserRoute`` to requests asking for HTML only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Path, Query, Request, UploadFile
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import Scope

from ledger.models import as_utc, utc_now
from marketplace import limits
from marketplace.assets.endpoints.upload import UPLOAD_PREFIX
from marketplace.assets.service import signing_context
from marketplace.blobs import BlobStore
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.digits import DIGITS_MAX, ascii_digits, whole_number
from marketplace.disputes.endpoints.evidence import evidence_body
from marketplace.disputes.errors import DisputeNotFound
from marketplace.disputes.evidence_errors import EvidenceTooLarge, InvalidEvidence
from marketplace.disputes.evidence_schemas import StatementCreate
from marketplace.disputes.models import Reason
from marketplace.disputes.schemas import DisputeOpen, RulingBody
from marketplace.disputes.service import dossier, opening, rulings, views
from marketplace.disputes.service import evidence as evidence_service
from marketplace.errors import DatabourseError
from marketplace.http import DOWNLOAD_HEADERS
from marketplace.identity.auth import PageAccount
from marketplace.pages import i18n
from marketplace.pages.templating import size
from marketplace.pages.uploads import raw_upload_route, refused_by
from marketplace.pages.web import FormErrors, Page, PageDep, PageRoute, page_router, refused
from marketplace.paging import ID_DIGITS
from marketplace.principal import Principal
from marketplace.ratelimit.routes import get_rate_limits
from marketplace.runtime import Runtime

router = page_router()


def N_(message: str) -> str:  # noqa: N802 -- gettext's conventional marker
    """Marks ``message`` for the catalogue; ``page.text`` translates it."""
    return message


class BrowserRoute(PageRoute):
    """A page at one of the API's own paths (``GET /disputes``, ``/disputes/{id}``; ``new``
    would be read as an id): it matches only a request that asks for HTML (a browser's
    ``Accept``), so API clients (``*/*``, ``application/json``) keep reaching the API. Its router
    is included before the API's (``app.py``)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE or not _asks_for_html(scope):
            return Match.NONE, {}
        return match, child


def _asks_for_html(scope: Scope) -> bool:
    return any(
        name == b"accept" and b"text/html" in value.lower()
        for name, value in scope.get("headers", [])
    )


browser = APIRouter(tags=["pages"], include_in_schema=False, route_class=BrowserRoute)

IdQuery = Annotated[int, Query(ge=1, le=limits.id_max)]
DisputeId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
EvidenceId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
# A page's form is one request body, under the app's body limit (less room for the form's
# other fields); larger files go by script through the page's raw upload (``upload_file``), up
# to the API's ``evidence_file_bytes_max``.
PAGE_FILE_BYTES_MAX = min(limits.evidence_file_bytes_max, limits.request_body_bytes_max - 64 * 1024)
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
StatementText = Annotated[str, Form(max_length=limits.dispute_statement_chars_max)]
TitleText = Annotated[str, Form(max_length=limits.evidence_title_chars_max)]
REASONS = [r.value for r in Reason]
NEW = "disputes/new.html"
SHOW = "disputes/show.html"


@browser.get("/disputes")
def my_disputes(page: PageDep, principal: PageAccount, session: SessionDep) -> Response:
    found = views.my_disputes(session, principal, limit=limits.page_size_max)
    return page.render("disputes/list.html", nav_active="disputes", disputes=found.items)


@browser.get("/disputes/new")
def new_dispute(
    page: PageDep, principal: PageAccount, order_id: IdQuery, period: IdQuery | None = None
) -> Response:
    values = {"order_id": str(order_id), "reason": Reason.quality_below_report.value}
    return page.render(
        NEW, nav_active="disputes", order_id=order_id, period=period, reasons=REASONS,
        errors=FormErrors.empty(values),
    )  # fmt: skip


@router.post("/disputes/new")
def open_dispute(
    *,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    order_id: Annotated[int, Form(ge=1, le=limits.id_max)],
    reason: Annotated[str, Form(max_length=64)] = "",
    statement: StatementText = "",
    period: Annotated[str, Form(max_length=DIGITS_MAX)] = "",
) -> Response:
    values = {"order_id": str(order_id), "reason": reason, "statement": statement}
    try:
        body = _open_body(reason, statement, period)
        opened = opening.open_dispute(
            session, runtime.settings, principal, order_id, reason=body.reason,
            statement=body.statement, now=utc_now(), period=body.period,
        )  # fmt: skip
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, values, field="order_id")
    else:
        return page.redirect(f"/disputes/{opened.id}")
    return page.render(
        NEW, status=errors.status, nav_active="disputes", order_id=order_id,
        period=whole_number(period.strip()), reasons=REASONS, errors=errors,
    )  # fmt: skip


def _open_body(reason: str, statement: str, period: str) -> DisputeOpen:
    """The API's body; ``period`` (the form's hidden field) only when the form names one."""
    data: dict[str, Any] = {"reason": reason, "statement": statement}
    if period.strip():
        number = whole_number(period.strip())
        data["period"] = period if number is None else number
    return DisputeOpen.model_validate(data)


@dataclass(frozen=True)
class _Case:
    """What a case page's route holds: the request's page, its viewer and the services' deps."""

    page: Page
    principal: Principal
    session: Session
    runtime: Runtime
    store: BlobStore


def _show(
    c: _Case,
    dispute_id: int,
    *,
    status: int = 200,
    errors: dict[str, FormErrors] | None = None,
) -> Response:
    """The case page; ``errors`` holds a refused form's messages under the form's name."""
    page, principal, session, runtime, store = c.page, c.principal, c.session, c.runtime, c.store
    case = views.get_dispute(session, principal, dispute_id)
    try:  # the dossier holds the contents: parties and drawn arbitrators only (operators: not)
        record = dossier.dossier_view(session, runtime.settings, store, principal, dispute_id)
    except DisputeNotFound:
        record = None
    items = evidence_service.list_evidence(session, principal, dispute_id)
    side = _side(case.buyer_organization_id, case.supplier_organization_id, principal)
    standing = [a for a in case.assignments if a.replaced_seq is None]
    assigned = any(a.account_id == principal.account_id for a in standing)
    current = [a for a in standing if a.round == case.round]
    voted = {r.account_id for r in case.rulings if r.round == case.round}
    now = utc_now()
    evidence_open = now < as_utc(case.evidence_closes_at)
    forms = {
        "evidence": side is not None and case.status == "open" and evidence_open,
        "ruling": case.status == "open"
        and case.round == 1
        and any(a.account_id == principal.account_id for a in current),
        "vote": case.status == "appealed"
        and any(a.account_id == principal.account_id for a in current)
        and principal.account_id not in voted,
        "appeal": side is not None
        and case.status == "ruled"
        and case.appeal_closes_at is not None
        and now < as_utc(case.appeal_closes_at),
    }
    all_errors = {name: FormErrors.empty() for name in ("statement", "file", "ruling", "appeal")}
    all_errors.update(errors or {})
    return page.render(
        SHOW,
        status=status,
        nav_active="disputes",
        case=case,
        record=record,
        evidence=items.items,
        side=side,
        assigned=assigned,
        forms=forms,
        errors=all_errors,
        evidence_open=evidence_open,
        file_bytes_max=PAGE_FILE_BYTES_MAX,
        upload_bytes_max=limits.evidence_file_bytes_max,
    )


def _side(buyer_org: int, supplier_org: int, principal: Principal) -> str | None:
    org = principal.account.organization_id
    return "buyer" if org == buyer_org else "supplier" if org == supplier_org else None


@browser.get("/disputes/{dispute_id}")
def show_dispute(
    *,
    dispute_id: DisputeId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> Response:
    return _show(_Case(page, principal, session, runtime, store), dispute_id)


def _submit(
    c: _Case,
    dispute_id: int,
    item: evidence_service.Submission,
    *,
    form: str,
    values: dict[str, str],
) -> Response:
    session, runtime = c.session, c.runtime
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    try:
        evidence_service.submit(
            session, runtime.settings, c.store, c.principal, dispute_id=dispute_id, item=item,
            ctx=ctx, now=utc_now(),
        )  # fmt: skip
    except DatabourseError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        errors = FormErrors.of(exc, values)
        return _show(c, dispute_id, status=errors.status, errors={form: errors})
    return c.page.redirect(f"/disputes/{dispute_id}#evidence")


@router.post("/disputes/{dispute_id}/statement")
def submit_statement(
    *,
    dispute_id: DisputeId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    text: StatementText = "",
    title: TitleText = "Statement",
) -> Response:
    values = {"text": text, "title": title}
    try:
        body = StatementCreate(text=text, title=title or "Statement")
    except ValidationError as exc:
        return _show(
            _Case(page, principal, session, runtime, store), dispute_id, status=400,
            errors={"statement": FormErrors.of_validation(exc, values)},
        )  # fmt: skip
    item = evidence_service.Submission(
        kind=evidence_service.STATEMENT, content=body.text.encode(), title=body.title,
        media_type=evidence_service.STATEMENT_MEDIA_TYPE,
    )  # fmt: skip
    return _submit(
        _Case(page, principal, session, runtime, store), dispute_id, item, form="statement",
        values=values,
    )  # fmt: skip


@router.post("/disputes/{dispute_id}/file")
async def submit_file(
    *,
    dispute_id: DisputeId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    upload: UploadFile,
    title: TitleText = "",
) -> Response:
    values = {"title": title}
    content = await upload.read(PAGE_FILE_BYTES_MAX + 1)
    media_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
    problem: DatabourseError | None = None
    if len(content) > PAGE_FILE_BYTES_MAX:
        problem = EvidenceTooLarge(
            f"an evidence file sent from this page is at most {PAGE_FILE_BYTES_MAX} bytes"
        )
    elif not content:
        problem = InvalidEvidence("choose a file that is not empty")
    elif not title.strip():
        problem = InvalidEvidence("give the file a title")
    if problem is not None:
        return _show(
            _Case(page, principal, session, runtime, store), dispute_id, status=problem.status,
            errors={"file": FormErrors.of(problem, values)},
        )  # fmt: skip
    if not _MEDIA_TYPE.match(media_type):
        media_type = "application/octet-stream"
    item = evidence_service.Submission(
        kind=evidence_service.FILE, content=content, title=title.strip(), media_type=media_type
    )
    return _submit(
        _Case(page, principal, session, runtime, store),
        dispute_id,
        item,
        form="file",
        values=values,
    )


upload_router = page_router()
upload_router.route_class = raw_upload_route(
    N_("Send the file from the dispute's page: as the raw body, with the page's token.")
)


@upload_router.put(UPLOAD_PREFIX + "disputes/{dispute_id}/file")
async def upload_file(
    *,
    dispute_id: DisputeId,
    request: Request,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    title: Annotated[str, Query(max_length=limits.evidence_title_chars_max)] = "",
    media_type: Annotated[str, Query(max_length=255)] = "",
) -> Response:
    """The file form's upload by script: the raw body, read once its ``Content-Length`` is
    within the API's limit (``evidence_body``), then submitted as the form's file is. A refusal
    is JSON whose message the script shows next to the file field; success, where to go."""
    try:
        rates = get_rate_limits(request)  # the API upload's abuse limit, in the same counter
        rates.hit(rates.rules.evidence_upload, f"account:{principal.account.id}")
        _check_length(request, page)
        content = await evidence_body(request)
        item = _file_item(content, title, media_type)
        await anyio.to_thread.run_sync(
            _submit_file, _Case(page, principal, session, runtime, store), dispute_id, item
        )
    except DatabourseError as exc:
        session.rollback()
        return refused_by(exc)
    return JSONResponse({"location": f"/disputes/{dispute_id}#evidence"}, status_code=201)


def _check_length(request: Request, page: Page) -> None:
    """Over the API's limit by its ``Content-Length``: 413 in the reader's language, before a
    byte is read (the API's ``evidence_body`` says it in English). A length of more than 19
    digits is over any limit (and more than int() reads past 4,300)."""
    raw = request.headers.get("content-length", "")
    if not ascii_digits(raw):
        return
    declared = whole_number(raw)
    if declared is None or declared > limits.evidence_file_bytes_max:
        message = page.text(N_("This file is %(size)s; an evidence file is at most %(max)s."))
        with i18n.use_locale(page.locale, page.settings.currency_unit):
            shown = size(declared) if declared is not None else f"{raw[:DIGITS_MAX]}... B"
            sizes = {"size": shown, "max": size(limits.evidence_file_bytes_max)}
        raise EvidenceTooLarge(message % sizes)


def _file_item(content: bytes, title: str, media_type: str) -> evidence_service.Submission:
    if not title.strip():
        raise InvalidEvidence("give the file a title")
    kind = media_type.split(";", maxsplit=1)[0].strip().lower()
    return evidence_service.Submission(
        kind=evidence_service.FILE, content=content, title=title.strip(),
        media_type=kind if _MEDIA_TYPE.match(kind) else "application/octet-stream",
    )  # fmt: skip


def _submit_file(c: _Case, dispute_id: int, item: evidence_service.Submission) -> None:
    ctx = signing_context(c.runtime.settings, c.runtime.chain_id, c.runtime.contract_address)
    evidence_service.submit(
        c.session, c.runtime.settings, c.store, c.principal, dispute_id=dispute_id, item=item,
        ctx=ctx, now=utc_now(),
    )  # fmt: skip


@router.get("/disputes/{dispute_id}/evidence/{evidence_id}/download")
def evidence_file(
    *,
    dispute_id: DisputeId,
    evidence_id: EvidenceId,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> Response:
    """The bytes ``GET /disputes/{id}/evidence/{eid}/file`` serves, with its headers."""
    row, content = evidence_service.read_file(
        session, runtime.settings, store, principal, dispute_id=dispute_id,
        evidence_id=evidence_id,
    )  # fmt: skip
    headers = {
        **DOWNLOAD_HEADERS,
        "Content-Disposition": f'attachment; filename="evidence-{dispute_id}-{evidence_id}"',
        "X-Content-SHA256": row.sha256,
    }
    return Response(content, media_type=row.media_type, headers=headers)


@router.get("/disputes/{dispute_id}/dossier.zip")
def dossier_zip(
    *,
    dispute_id: DisputeId,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> Response:
    """The zip ``GET /disputes/{id}/dossier`` serves."""
    content = dossier.dossier_zip(
        session, runtime.settings, store, principal, dispute_id,
        chain_id=runtime.chain_id, contract=runtime.contract_address,
    )  # fmt: skip
    headers = {
        **DOWNLOAD_HEADERS,
        "Content-Disposition": f'attachment; filename="dispute-{dispute_id}-dossier.zip"',
    }
    return Response(content, media_type="application/zip", headers=headers)


def _ruling_body(outcome: str, supplier_bp: str, reasons: str) -> RulingBody:
    """The API's body: ``supplier_bp`` only for a split (release and refund fix it)."""
    data: dict[str, Any] = {"outcome": outcome, "reasons": reasons}
    if outcome == "split":
        data["supplier_bp"] = int(supplier_bp) if ascii_digits(supplier_bp.strip()) else supplier_bp
    return RulingBody.model_validate(data)


def _decide(c: _Case, action: str, dispute_id: int, values: dict[str, str]) -> Response:
    page, principal, session, runtime = c.page, c.principal, c.session, c.runtime
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    try:
        body = _ruling_body(values["outcome"], values["supplier_bp"], values["reasons"])
        act = rulings.rule if action == "ruling" else rulings.vote
        act(session, runtime.settings, principal, dispute_id, body, ctx=ctx, now=utc_now())
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, values, raising=(404,))
    else:
        return page.redirect(f"/disputes/{dispute_id}#ruling")
    return _show(c, dispute_id, status=errors.status, errors={"ruling": errors})


Outcome = Annotated[str, Form(max_length=32)]
SupplierBp = Annotated[str, Form(max_length=16)]
Reasons = Annotated[str, Form(max_length=limits.dispute_statement_chars_max)]


@router.post("/disputes/{dispute_id}/rule")
def rule(
    *,
    dispute_id: DisputeId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    outcome: Outcome = "",
    reasons: Reasons = "",
    supplier_bp: SupplierBp = "",
) -> Response:
    values = {"outcome": outcome, "supplier_bp": supplier_bp, "reasons": reasons}
    return _decide(_Case(page, principal, session, runtime, store), "ruling", dispute_id, values)


@router.post("/disputes/{dispute_id}/vote")
def vote(
    *,
    dispute_id: DisputeId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    outcome: Outcome = "",
    reasons: Reasons = "",
    supplier_bp: SupplierBp = "",
) -> Response:
    values = {"outcome": outcome, "supplier_bp": supplier_bp, "reasons": reasons}
    return _decide(_Case(page, principal, session, runtime, store), "vote", dispute_id, values)


@router.post("/disputes/{dispute_id}/appeals")
def appeal(
    *,
    dispute_id: DisputeId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> Response:
    try:
        rulings.appeal(session, runtime.settings, principal, dispute_id, now=utc_now())
    except DatabourseError as exc:
        errors = refused(session, exc, {}, raising=(404,))
        return _show(
            _Case(page, principal, session, runtime, store), dispute_id, status=errors.status,
            errors={"appeal": errors},
        )  # fmt: skip
    return page.redirect(f"/disputes/{dispute_id}#ruling")


router.include_router(upload_router)
