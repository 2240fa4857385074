"""The operator's pages: the compliance review queue with its checklist, organisation
verification, roles, suspension and reinstatement, the arbitrator pool, the fee settings, and
the exchange's health (the books, the anchoring lag, the database and the chain).

Every route takes ``PageOperator`` (the API's operator guard, reading the session cookie) and
calls the services the JSON API calls. A refused form rolls the unit of work back and shows the
service's message with the form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import ValidationError
from starlette.responses import Response

from ledger.models import utc_now
from ledger.progress import anchoring_progress
from marketplace import limits
from marketplace.assets import service as asset_service
from marketplace.assets.endpoints.params import SigningDep
from marketplace.assets.models import AssetStatus
from marketplace.assets.schemas import ReviewCreate
from marketplace.books.service import statements
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.health import probe_report
from marketplace.identity import service as identity_service
from marketplace.identity.auth import PageOperator
from marketplace.identity.schemas import SuspensionRequest
from marketplace.pages.web import FormErrors, Page, PageDep, page_router, refused
from marketplace.paging import ID_DIGITS
from marketplace.principal import OrgRole
from marketplace.transparency.service import connected_trust_anchor

router = page_router()

CHECKLIST = ("authority", "personal_information", "classification", "metadata_complete")
Id = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
Offset = Annotated[int, Query(ge=0, le=limits.id_max)]
Note = Annotated[str, Form(max_length=limits.asset_text_length_max)]
Reasons = Annotated[str, Form(max_length=limits.review_reasons_length_max)]
Choice = Annotated[str, Form(max_length=32)]
Flag = Annotated[str, Form(max_length=8)]
SuspensionReason = Annotated[str, Form(max_length=limits.suspension_reason_length_max)]
PAGE_SIZE = limits.page_size_default


@router.get("/operator/reviews")
def review_queue(
    operator: PageOperator, page: PageDep, session: SessionDep, offset: Offset = 0
) -> Response:
    queue = asset_service.search(
        session,
        operator,
        owner=None,
        status=AssetStatus.under_review,
        theme=None,
        keyword=None,
        offset=offset,
        limit=PAGE_SIZE,
    )
    return page.render("operator/reviews.html", nav_active="operator-reviews", queue=queue)


def _review_page(
    page: Page, session: SessionDep, operator: PageOperator, asset_id: int, errors: FormErrors
) -> Response:
    asset = asset_service.asset_public_for(
        operator, asset_service.visible_asset(session, operator, asset_id)
    )
    return page.render(
        "operator/review.html",
        status=errors.status,
        nav_active="operator-reviews",
        asset=asset,
        reviews=asset_service.reviews_of(
            session, operator, asset_id, limit=limits.page_size_default, offset=0
        ),
        checklist=CHECKLIST,
        errors=errors,
    )


@router.get("/operator/reviews/{asset_id}")
def review_form(
    operator: PageOperator, page: PageDep, session: SessionDep, asset_id: Id
) -> Response:
    return _review_page(page, session, operator, asset_id, FormErrors.empty())


@router.post("/operator/reviews/{asset_id}")
def review(
    *,
    operator: PageOperator,
    page: PageDep,
    session: SessionDep,
    ctx: SigningDep,
    asset_id: Id,
    decision: Choice = "",
    reasons: Reasons = "",
    authority: Flag = "",
    authority_note: Note = "",
    personal_information: Flag = "",
    personal_information_note: Note = "",
    classification: Flag = "",
    classification_note: Note = "",
    metadata_complete: Flag = "",
    metadata_complete_note: Note = "",
) -> Response:
    ticks = {
        "authority": (authority, authority_note),
        "personal_information": (personal_information, personal_information_note),
        "classification": (classification, classification_note),
        "metadata_complete": (metadata_complete, metadata_complete_note),
    }
    values = {"decision": decision, "reasons": reasons}
    for name, (tick, note) in ticks.items():
        values[name] = tick
        values[f"{name}_note"] = note
    try:
        body = ReviewCreate.model_validate(
            {
                "decision": decision,
                "reasons": reasons,
                "checklist": {
                    name: {"passed": tick == "on", "note": note}
                    for name, (tick, note) in ticks.items()
                },
            }
        )
        asset_service.review(session, operator, asset_id, body=body, ctx=ctx, now=utc_now())
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, values)
        return _review_page(page, session, operator, asset_id, errors)
    return page.redirect("/operator/reviews")


def _organizations_page(
    page: Page, session: SessionDep, verified: bool | None, offset: int, errors: FormErrors
) -> Response:
    orgs = identity_service.list_organizations(
        session, verified=verified, limit=PAGE_SIZE, offset=offset
    )
    return page.render(
        "operator/organizations.html",
        status=errors.status,
        nav_active="operator-organizations",
        orgs=orgs,
        verified=verified,
        roles=[r.value for r in OrgRole],
        reason_length_max=limits.suspension_reason_length_max,
        errors=errors,
    )


@router.get("/operator/organizations")
def organizations(
    _: PageOperator,
    page: PageDep,
    session: SessionDep,
    verified: bool | None = None,
    offset: Offset = 0,
) -> Response:
    return _organizations_page(page, session, verified, offset, FormErrors.empty())


@router.post("/operator/organizations/{organization_id}/verify")
def verify_organization(
    operator: PageOperator, page: PageDep, session: SessionDep, organization_id: Id
) -> Response:
    try:
        identity_service.verify_organization(session, operator, organization_id, utc_now())
    except DatabourseError as exc:
        return _organizations_page(page, session, None, 0, refused(session, exc, {}))
    return page.redirect("/operator/organizations")


@router.post("/operator/organizations/{organization_id}/roles")
def grant_role(
    *,
    operator: PageOperator,
    page: PageDep,
    session: SessionDep,
    organization_id: Id,
    role: Choice = "",
    back: Choice = "organizations",
) -> Response:
    try:
        identity_service.grant_role(session, operator, organization_id, OrgRole(role))
    except ValueError:
        session.rollback()
        message = page.text("Choose one of the roles offered.")
        errors = FormErrors({"role": message}, {"role": role}, 400)
        return _organizations_page(page, session, None, 0, errors)
    except DatabourseError as exc:
        return _organizations_page(page, session, None, 0, refused(session, exc, {}))
    return page.redirect(
        "/operator/arbitrators" if back == "arbitrators" else "/operator/organizations"
    )


@router.post("/operator/organizations/{organization_id}/suspend")
def suspend_organization(
    *,
    operator: PageOperator,
    page: PageDep,
    session: SessionDep,
    runtime: RuntimeDep,
    organization_id: Id,
    reason: SuspensionReason = "",
) -> Response:
    """As ``POST /organizations/{id}/suspend``: a reason is required (the form's field)."""
    try:
        body = SuspensionRequest(reason=reason)
        identity_service.suspend_organization(
            session, runtime.settings, operator, organization_id, reason=body.reason,
            now=utc_now(),
        )  # fmt: skip
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, {"reason": reason}, field="reason")
        return _organizations_page(page, session, None, 0, errors)
    return page.redirect("/operator/organizations")


@router.post("/operator/organizations/{organization_id}/reinstate")
def reinstate_organization(
    operator: PageOperator, page: PageDep, session: SessionDep, organization_id: Id
) -> Response:
    try:
        identity_service.reinstate_organization(session, operator, organization_id)
    except DatabourseError as exc:
        return _organizations_page(page, session, None, 0, refused(session, exc, {}))
    return page.redirect("/operator/organizations")


@router.get("/operator/arbitrators")
def arbitrators(_: PageOperator, page: PageDep, session: SessionDep) -> Response:
    pool = identity_service.arbitrators(session)
    names = {
        org_id: org.name
        for org_id in sorted({a.organization_id for a in pool})
        if (org := identity_service.organization(session, org_id)) is not None
    }
    candidates = identity_service.list_organizations(
        session, verified=True, limit=limits.page_size_max, offset=0
    )
    return page.render(
        "operator/arbitrators.html",
        nav_active="operator-arbitrators",
        pool=pool,
        names=names,
        candidates=[o for o in candidates.items if OrgRole.arbitrator.value not in o.roles],
    )


@router.get("/operator/fees")
def fees(_: PageOperator, page: PageDep) -> Response:
    return page.render("operator/fees.html", nav_active="operator-fees", settings=page.settings)


@router.get("/operator/health")
def health(_: PageOperator, page: PageDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    return page.render(
        "operator/health.html",
        nav_active="operator-health",
        books=statements.reconcile(session),
        progress=anchoring_progress(session, utc_now()),
        probes=probe_report(runtime),
        trust=connected_trust_anchor(runtime),
    )
