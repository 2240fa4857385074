"""The supplier's pages: their assets (register, upload with a progress bar, edit metadata and
schema, submit for review, the reasons of a rejection), their listings (terms, a price model and
the price suggestion) and their sales.

Every route calls the service the JSON API's endpoint calls, under ``PageVerifiedSupplier`` (the
API's ``VerifiedSupplier``, reading the session cookie); ownership is the services' to check
(``owned_asset``, ``reviews_of``, ``price_suggestion``). A refused form rolls back whatever the
service wrote before it raised, then shows the API's message next to its field.

The upload is ``PUT /upload/supplier/assets/{id}/revisions``: under the API's ``/upload/``
prefix, whose bodies stream (exempt from the body limit, the JSON checks and the NUL guard;
counted as uploads in flight), authorised by the session cookie and the ``X-CSRF-Token`` header,
and handled by the API's own ``receive_revision``. ``static/site.js`` sends the file with a
progress bar.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import BackgroundTasks, Form, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session
from starlette.responses import JSONResponse, Response

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets import service as assets
from marketplace.assets.endpoints.params import AssetId, RevisionNo, get_signing_context
from marketplace.assets.endpoints.upload import UPLOAD_PREFIX, receive_revision
from marketplace.assets.models import (
    AssetStatus,
    Classification,
    ContentFormat,
    LawfulBasis,
    SourceType,
)
from marketplace.assets.schemas import AssetCreate, AssetUpdate, SchemaCorrection, SubmitRequest
from marketplace.assets.service import SigningContext
from marketplace.assets.vocabulary import FREQUENCIES, LICENSES
from marketplace.auctions import service as auctions
from marketplace.auctions.schemas import AuctionCreate
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.identity.auth import PageVerifiedSupplier
from marketplace.json_depth import nesting_exceeds
from marketplace.listings import service as listings
from marketplace.listings.price_models import Fixed, Metered, Negotiable, Subscription
from marketplace.listings.schemas import ListingCreate
from marketplace.listings.service.suggestion import price_suggestion
from marketplace.listings.terms import Purpose, Terms
from marketplace.matching import service as matching
from marketplace.money import parse_amount
from marketplace.orders import service as orders
from marketplace.pages.uploads import raw_upload_route
from marketplace.pages.web import (
    FormErrors,
    Page,
    PageDep,
    page_router,
    refused,
)
from marketplace.paging import ID_DIGITS
from marketplace.principal import Principal
from marketplace.quality import service as quality_service
from marketplace.quotes import service as quotes
from marketplace.quotes.schemas import QuoteCreate
from marketplace.runtime import Runtime

router = page_router()
PAGE_SIZE = 50
LISTABLE = (AssetStatus.approved.value, AssetStatus.listed.value)
SUBMITTABLE = (AssetStatus.draft.value, AssetStatus.rejected.value)
UPLOADABLE = (
    AssetStatus.draft.value,
    AssetStatus.rejected.value,
    AssetStatus.approved.value,
    AssetStatus.listed.value,
    AssetStatus.delisted.value,
)
PRICE_KINDS = ("fixed", "subscription", "metered", "negotiable")
PERIODS = ("month", "quarter", "year")
UNITS = ("row", "api_call")
DELIVERY_MODES = ("download", "key_wrapped")
REQUIRED_TEXT = ("title", "license", "classification", "source_type", "authority_proof")


def N_(message: str) -> str:  # noqa: N802 -- gettext's conventional marker
    """Marks ``message`` for the catalogue; ``page.text`` translates it."""
    return message


def _choices() -> dict[str, Any]:
    """The controlled vocabularies the asset form offers."""
    return {
        "licenses": sorted(LICENSES),
        "frequencies": sorted(FREQUENCIES),
        "classifications": [c.value for c in Classification],
        "lawful_bases": [b.value for b in LawfulBasis],
        "source_types": [s.value for s in SourceType],
    }


class AssetForm(BaseModel):
    """The asset form as posted: text, bounded by the API's own limits (the API's schema checks
    the rest)."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(default="", max_length=limits.asset_title_length_max)
    description: str = Field(default="", max_length=limits.asset_description_length_max)
    keywords: str = Field(default="", max_length=limits.asset_text_length_max)
    theme: str = Field(default="", max_length=200)
    publisher: str = Field(default="", max_length=200)
    license: str = Field(default="", max_length=64)
    temporal_start: str = Field(default="", max_length=32)
    temporal_end: str = Field(default="", max_length=32)
    spatial: str = Field(default="", max_length=limits.asset_text_length_max)
    accrual_periodicity: str = Field(default="", max_length=32)
    languages: str = Field(default="", max_length=200)
    landing_page: str = Field(default="", max_length=limits.asset_url_length_max)
    classification: str = Field(default="", max_length=32)
    personal_information: str = Field(default="", max_length=8)
    lawful_basis: str = Field(default="", max_length=64)
    source_type: str = Field(default="", max_length=32)
    authority_proof: str = Field(default="", max_length=limits.asset_text_length_max)

    def values(self) -> dict[str, str]:
        return self.model_dump()

    def metadata(self) -> dict[str, Any]:
        """The API's JSON body: lists from comma-separated text, the checkbox as a boolean, an
        empty optional field as null."""
        data: dict[str, Any] = {}
        for name, raw in self.model_dump().items():
            value = raw.strip()
            if name in ("keywords", "languages"):
                data[name] = words(value)
            elif name == "personal_information":
                data[name] = value == "on"
            elif name in (*REQUIRED_TEXT, "description"):
                data[name] = value
            else:
                data[name] = value or None
        return data


def words(text: str) -> list[str]:
    """A comma-separated field as a list (a Chinese comma separates too)."""
    return [w.strip() for w in text.replace("\uff0c", ",").split(",") if w.strip()]


def _form_of(asset: Any) -> dict[str, str]:
    """An asset's metadata as the form's values."""
    out: dict[str, str] = {}
    for name in AssetForm.model_fields:
        value = getattr(asset, name)
        if isinstance(value, list):
            out[name] = ", ".join(value)
        elif isinstance(value, bool):
            out[name] = "on" if value else ""
        else:
            out[name] = "" if value is None else str(value)
    return out


AssetFormDep = Annotated[AssetForm, Form()]


# --- my assets ---------------------------------------------------------------------------------


@router.get("/supplier/assets")
def my_assets(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> Response:
    found = assets.search(
        session,
        principal,
        owner=principal.account.organization_id,
        status=None,
        theme=None,
        keyword=None,
        offset=offset,
        limit=PAGE_SIZE,
    )
    return page.render(
        "supplier/assets.html", nav_active="supplier-assets", found=found, page_size=PAGE_SIZE
    )


def _asset_form(page: Page, errors: FormErrors, *, asset_id: int | None) -> Response:
    return page.render(
        "supplier/asset_form.html",
        status=errors.status,
        nav_active="supplier-assets",
        errors=errors,
        asset_id=asset_id,
        **_choices(),
    )


@router.get("/supplier/assets/new")
def new_asset_form(page: PageDep, principal: PageVerifiedSupplier) -> Response:
    del principal
    defaults = {"license": "LicenseRef-Databourse-Contract", "classification": "general"}
    return _asset_form(page, FormErrors.empty(defaults), asset_id=None)


@router.post("/supplier/assets/new")
def create_asset(
    page: PageDep, principal: PageVerifiedSupplier, session: SessionDep, form: AssetFormDep
) -> Response:
    values = form.values()
    try:
        body = AssetCreate.model_validate(form.metadata())
        asset = assets.create_asset(session, principal, body, utc_now())
    except (ValidationError, DatabourseError) as exc:
        return _asset_form(page, refused(session, exc, values), asset_id=None)
    return page.redirect(f"/supplier/assets/{asset.id}")


def _asset_page(
    page: Page,
    principal: Principal,
    session: Session,
    asset_id: int,
    *,
    errors: FormErrors | None = None,
    schema_errors: FormErrors | None = None,
) -> Response:
    # reviews_of is the API's check that the caller is the owner (404 unseen, 403 not theirs).
    reviews = assets.reviews_of(session, principal, asset_id)
    asset = assets.asset_public(assets.visible_asset(session, principal, asset_id))
    revisions = assets.list_revisions(session, principal, asset_id)
    latest = revisions[-1] if revisions else None
    schema_text = (
        errors_value(schema_errors, "table_schema")
        if schema_errors
        else (_pretty(latest.table_schema) if latest and latest.table_schema else "")
    )
    status = max((e.status for e in (errors, schema_errors) if e is not None and e), default=200)
    return page.render(
        "supplier/asset.html",
        status=status,
        nav_active="supplier-assets",
        asset=asset,
        revisions=revisions,
        latest=latest,
        reviews=list(reversed(reviews)),
        listings=listings.for_asset(session, asset_id),
        errors=errors or FormErrors.empty(),
        schema_errors=schema_errors or FormErrors.empty({"table_schema": schema_text}),
        schema_text=schema_text,
        may_upload=asset.status in UPLOADABLE,
        may_submit=asset.status in SUBMITTABLE and latest is not None,
        may_list=asset.status in (AssetStatus.approved.value, AssetStatus.delisted.value),
        may_offer=asset.status in LISTABLE and asset.classification != "core",
        formats=[f.value for f in ContentFormat],
        upload_url=upload_url(asset_id),
    )


def errors_value(errors: FormErrors, name: str) -> str:
    return errors.values.get(name, "")


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def upload_url(asset_id: int) -> str:
    return f"{PAGE_UPLOAD_PREFIX}assets/{asset_id}/revisions"


@router.get("/supplier/assets/{asset_id}")
def asset_detail(
    asset_id: AssetId, page: PageDep, principal: PageVerifiedSupplier, session: SessionDep
) -> Response:
    return _asset_page(page, principal, session, asset_id)


@router.get("/supplier/assets/{asset_id}/edit")
def edit_asset_form(
    asset_id: AssetId, page: PageDep, principal: PageVerifiedSupplier, session: SessionDep
) -> Response:
    assets.reviews_of(session, principal, asset_id)  # the owner's check, as on the asset page
    asset = assets.visible_asset(session, principal, asset_id)
    return _asset_form(page, FormErrors.empty(_form_of(asset)), asset_id=asset_id)


@router.post("/supplier/assets/{asset_id}/edit")
def edit_asset(
    asset_id: AssetId,
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    form: AssetFormDep,
) -> Response:
    values = form.values()
    try:
        wanted = AssetCreate.model_validate(form.metadata()).model_dump()
        current = assets.visible_asset(session, principal, asset_id)
        # Only what changed: an unchanged field is not a change registration.
        changed = {k: v for k, v in wanted.items() if getattr(current, k) != v}
        assets.update_metadata(
            session, principal, asset_id, AssetUpdate.model_validate(changed), utc_now()
        )
    except (ValidationError, DatabourseError) as exc:
        return _asset_form(page, refused(session, exc, values), asset_id=asset_id)
    return page.redirect(f"/supplier/assets/{asset_id}")


@router.post("/supplier/assets/{asset_id}/revisions/{number}/schema")
def correct_schema(
    *,
    asset_id: AssetId,
    number: RevisionNo,
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    background: BackgroundTasks,
    table_schema: Annotated[str, Form(max_length=limits.request_body_bytes_max)],
) -> Response:
    values = {"table_schema": table_schema}
    parsed = _json_object(table_schema)
    if parsed is None:
        message = page.text(N_("The schema is not a JSON object (a Table Schema)."))
        errors = FormErrors({"table_schema": message}, values, 400)
        return _asset_page(page, principal, session, asset_id, schema_errors=errors)
    try:
        body = SchemaCorrection(table_schema=parsed)
        assets.correct_schema(
            session, principal, asset_id, number=number, table_schema=body.table_schema,
            now=utc_now(),
        )  # fmt: skip
        evaluation_id = quality_service.evaluate_after_correction(
            session, runtime.settings, principal, asset_id, number
        )
    except ValidationError as exc:
        session.rollback()
        errors = FormErrors({"table_schema": _first(exc)}, values, 400)
        return _asset_page(page, principal, session, asset_id, schema_errors=errors)
    except DatabourseError as exc:
        errors = refused(session, exc, values, field="table_schema")
        return _asset_page(page, principal, session, asset_id, schema_errors=errors)
    if evaluation_id is not None:
        background.add_task(
            quality_service.run_evaluation, runtime.engine, runtime.settings, store, evaluation_id
        )
    return page.redirect(f"/supplier/assets/{asset_id}#schema")


def _json_object(text: str) -> dict[str, Any] | None:
    """The form field's JSON object, or None (measured first: a form field's brackets come
    percent-encoded, past the app's check of the body's nesting, and py-evm raised the parser's
    recursion limit past what the C stack holds)."""
    if nesting_exceeds(text.encode("utf-8", "surrogatepass"), limits.json_nesting_depth_max):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _first(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]) if exc.errors() else str(exc)


@router.post("/supplier/assets/{asset_id}/submit")
def submit_asset(
    asset_id: AssetId,
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    ctx = get_signing_context(runtime)
    try:
        # Custodial accounts: the exchange signs the application with their key (the service).
        assets.submit(
            session,
            runtime.settings,
            principal,
            asset_id=asset_id,
            body=SubmitRequest(),
            ctx=ctx,
            now=utc_now(),
        )
    except DatabourseError as exc:
        errors = refused(session, exc, {}, field="submit")
        return _asset_page(page, principal, session, asset_id, errors=errors)
    return page.redirect(f"/supplier/assets/{asset_id}")


@router.post("/supplier/assets/{asset_id}/list")
def list_asset(
    asset_id: AssetId, page: PageDep, principal: PageVerifiedSupplier, session: SessionDep
) -> Response:
    try:
        assets.list_asset(session, principal, asset_id, utc_now())
    except DatabourseError as exc:
        errors = refused(session, exc, {}, field="list")
        return _asset_page(page, principal, session, asset_id, errors=errors)
    return page.redirect(f"/supplier/assets/{asset_id}")


# --- the upload --------------------------------------------------------------------------------

PAGE_UPLOAD_PREFIX = UPLOAD_PREFIX + "supplier/"
UploadRoute = raw_upload_route(
    N_("Send the file from the asset's page: as the raw body, with the page's token.")
)


upload_router = page_router()
upload_router.route_class = UploadRoute


@upload_router.put(PAGE_UPLOAD_PREFIX + "assets/{asset_id}/revisions")
async def upload_revision(
    *,
    asset_id: AssetId,
    request: Request,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    background: BackgroundTasks,
    content_format: Annotated[ContentFormat, Query(alias="format")] = ContentFormat.opaque,
    media_type: Annotated[str | None, Query(max_length=127)] = None,
) -> Response:
    """The file as the raw body, streamed to the API's upload; a refusal is the API's JSON
    error (the page's script shows its message), success the new revision's number."""
    try:
        revision = await receive_revision(
            asset_id=asset_id,
            request=request,
            principal=principal,
            session=session,
            runtime=runtime,
            store=store,
            background=background,
            content_format=content_format,
            media_type=media_type,
        )
    except DatabourseError as exc:
        if exc.status >= 500:
            raise
        return JSONResponse(
            {"error": exc.code, "message": exc.message}, status_code=exc.status, headers=exc.headers
        )
    return JSONResponse(
        {"number": revision.number, "location": f"/supplier/assets/{asset_id}"}, status_code=201
    )


# --- listings ----------------------------------------------------------------------------------


@router.get("/supplier/listings")
def my_listings(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> Response:
    items, total = listings.of_supplier(session, principal, offset=offset, limit=PAGE_SIZE)
    offerable = assets.search(
        session,
        principal,
        owner=principal.account.organization_id,
        status=AssetStatus.approved,
        theme=None,
        keyword=None,
        offset=0,
        limit=PAGE_SIZE,
    ).items
    return page.render(
        "supplier/listings.html",
        nav_active="supplier-listings",
        items=items,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        offerable=offerable,
    )


class ListingForm(BaseModel):
    """The listing form as posted (the API's ``Terms`` and price models check the rest)."""

    model_config = ConfigDict(extra="ignore")

    purposes: list[str] = Field(default_factory=list, max_length=len(Purpose))
    licence_duration_days: str = Field(default="", max_length=12)
    territory: str = Field(default="", max_length=2000)
    redistribution: str = Field(default="", max_length=8)
    derivatives: str = Field(default="", max_length=8)
    max_downloads: str = Field(default="", max_length=12)
    exclusive: str = Field(default="", max_length=8)
    delivery_mode: str = Field(default="download", max_length=16)
    acceptance_window_h: str = Field(default="", max_length=12)
    dispute_window_h: str = Field(default="", max_length=12)
    price_kind: str = Field(default="fixed", max_length=16)
    amount: str = Field(default="", max_length=40)
    period: str = Field(default="month", max_length=16)
    auto_renew: str = Field(default="", max_length=8)
    unit: str = Field(default="row", max_length=16)
    cap: str = Field(default="", max_length=40)
    asset_id: int = Field(ge=1, le=limits.id_max)

    def values(self) -> dict[str, str]:
        data = self.model_dump(exclude={"asset_id"})
        data["purposes"] = ",".join(self.purposes)
        return {k: str(v) for k, v in data.items()}


ListingFormDep = Annotated[ListingForm, Form()]
LISTING_DEFAULTS = {
    "purposes": "research,internal_analytics",
    "licence_duration_days": "365",
    "territory": "CN",
    "delivery_mode": "download",
    "acceptance_window_h": "72",
    "dispute_window_h": "168",
    "price_kind": "fixed",
    "period": "month",
    "unit": "row",
}


def _listing_form(
    page: Page, principal: Principal, session: Session, asset_id: int, errors: FormErrors
) -> Response:
    suggestion = price_suggestion(session, principal, asset_id, page.settings.currency_unit)
    asset = assets.asset_public(assets.visible_asset(session, principal, asset_id))
    return page.render(
        "supplier/listing_form.html",
        status=errors.status,
        nav_active="supplier-listings",
        asset=asset,
        suggestion=suggestion,
        errors=errors,
        purposes=[p.value for p in Purpose],
        chosen_purposes=errors.values.get("purposes", "").split(","),
        price_kinds=PRICE_KINDS,
        periods=PERIODS,
        units=UNITS,
        delivery_modes=DELIVERY_MODES,
        currency=page.settings.currency_unit.code,
    )


@router.get("/supplier/listings/new")
def new_listing_form(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    asset_id: Annotated[int, Query(ge=1, le=limits.id_max)],
) -> Response:
    return _listing_form(page, principal, session, asset_id, FormErrors.empty(LISTING_DEFAULTS))


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _integer(value: str, field: str, page: Page, *, optional: bool = False) -> int | None:
    text = value.strip()
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        raise _FieldError(field, page.text(N_("Enter a whole number."))) from None


def _minor(value: str, field: str, page: Page) -> int:
    try:
        return parse_amount(value, page.settings.currency_scale)
    except ValueError:
        raise _FieldError(field, page.text(N_("Enter a positive amount such as 12.50."))) from None


_PRICE_FIELDS = {
    "amount_minor": "amount",
    "unit_price_minor": "amount",
    "cap_minor": "cap",
    "period": "period",
    "unit": "unit",
}


def _price_model(form: ListingForm, page: Page) -> Fixed | Subscription | Metered | Negotiable:
    kind = form.price_kind
    try:
        if kind == "fixed":
            return Fixed(amount_minor=_minor(form.amount, "amount", page))
        if kind == "subscription":
            return Subscription.model_validate(
                {
                    "amount_minor": _minor(form.amount, "amount", page),
                    "period": form.period,
                    "auto_renew": form.auto_renew == "on",
                }
            )
        if kind == "metered":
            return Metered.model_validate(
                {
                    "unit": form.unit,
                    "unit_price_minor": _minor(form.amount, "amount", page),
                    "cap_minor": _minor(form.cap, "cap", page),
                }
            )
        if kind == "negotiable":
            return Negotiable()
    except ValidationError as exc:
        item = exc.errors()[0]
        # A model's own check (the metered cap below one unit's price) names no field.
        named = str(item["loc"][0]) if item["loc"] else ("cap_minor" if kind == "metered" else "")
        field = _PRICE_FIELDS.get(named, "amount")
        raise _FieldError(field, str(item["msg"])) from None
    raise _FieldError("price_kind", page.text(N_("Choose a price model.")))


def _terms(form: ListingForm, page: Page) -> dict[str, Any]:
    """The API's ``Terms`` body from the form (a number that is no number: its field's error)."""
    return {
        "purposes": form.purposes,
        "licence_duration_days": _integer(
            form.licence_duration_days, "licence_duration_days", page
        ),
        "territory": words(form.territory),
        "redistribution": form.redistribution == "on",
        "derivatives": form.derivatives == "on",
        "max_downloads": _integer(form.max_downloads, "max_downloads", page, optional=True),
        "exclusive": form.exclusive == "on",
        "delivery_mode": form.delivery_mode,
        "acceptance_window_h": _integer(form.acceptance_window_h, "acceptance_window_h", page),
        "dispute_window_h": _integer(form.dispute_window_h, "dispute_window_h", page),
    }


@router.post("/supplier/listings/new")
def create_listing(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    form: ListingFormDep,
) -> Response:
    values = form.values()
    asset_id = form.asset_id
    try:
        terms = Terms.model_validate(_terms(form, page))
        body = ListingCreate(asset_id=asset_id, terms=terms, price_model=_price_model(form, page))
        now = utc_now()
        listing = listings.create(
            session, runtime.settings, principal, body, ctx=get_signing_context(runtime), now=now
        )
        matching.match_new_listing(session, listing.id, now)
    except _FieldError as exc:
        errors = FormErrors({exc.field: exc.message}, values, 400)
        return _listing_form(page, principal, session, asset_id, errors)
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, values, raising=(403, 404))
        return _listing_form(page, principal, session, asset_id, errors)
    return page.redirect(f"/supplier/listings#listing-{listing.id}")


# --- matched demands and quotes -----------------------------------------------------------------

Cursor = Annotated[str | None, Query(max_length=24)]
DemandId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
QUOTE_DAYS_MAX = 365


def _valid_days(text: str, page: Page) -> int:
    days = _integer(text, "valid_days", page)
    if days is None or not 1 <= days <= QUOTE_DAYS_MAX:
        raise _FieldError("valid_days", page.text(N_("Between 1 and 365 days.")))
    return days


@router.get("/supplier/demands")
def demands_inbox(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The inbox: the open demands the organisation's own listings match, best first
    (``GET /demands/matched``)."""
    found = matching.matched_demands(
        session, principal, cursor=cursor, limit=PAGE_SIZE, now=utc_now()
    )
    return page.render(
        "supplier/demands.html",
        nav_active="supplier-demands",
        tab="matched",
        matched=found,
        demands_scanned_max=limits.matching_inbox_demands_scanned_max,
        listings_max=limits.matching_inbox_listings_max,
    )


@router.get("/supplier/demands/all")
def all_open_demands(
    page: PageDep, principal: PageVerifiedSupplier, session: SessionDep, cursor: Cursor = None
) -> Response:
    """Every open demand, newest first (``GET /demands``), to answer one no listing matches."""
    found = matching.open_demands(session, principal, cursor=cursor, limit=PAGE_SIZE, now=utc_now())
    return page.render(
        "supplier/demands.html", nav_active="supplier-demands", tab="all", found=found
    )


class QuoteForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    listing_id: int = Field(ge=1, le=limits.id_max)
    price: str = Field(default="", max_length=40)
    valid_days: str = Field(default="", max_length=12)

    def values(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump().items()}


def _demand_page(
    page: Page, principal: Principal, session: Session, demand_id: int, errors: FormErrors
) -> Response:
    now = utc_now()
    demand = matching.get(session, principal, demand_id, now)
    mine = quotes.for_demand(session, principal, demand_id, offset=0, limit=PAGE_SIZE, now=now)
    offered, _ = listings.of_supplier(session, principal, offset=0, limit=PAGE_SIZE)
    return page.render(
        "supplier/demand.html",
        status=errors.status,
        nav_active="supplier-demands",
        demand=demand,
        quotes=mine.items,
        listings=[item for item in offered if item.available],
        errors=errors,
        currency=page.settings.currency_unit.code,
    )


@router.get("/supplier/demands/{demand_id}")
def demand_detail(
    demand_id: DemandId, page: PageDep, principal: PageVerifiedSupplier, session: SessionDep
) -> Response:
    return _demand_page(page, principal, session, demand_id, FormErrors.empty({"valid_days": "7"}))


@router.post("/supplier/demands/{demand_id}/quotes")
def send_quote(
    *,
    demand_id: DemandId,
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    form: Annotated[QuoteForm, Form()],
) -> Response:
    values = form.values()
    try:
        days = _valid_days(form.valid_days, page)
        now = utc_now()
        body = QuoteCreate(
            listing_id=form.listing_id,
            price_minor=_minor(form.price, "price", page),
            valid_until=now + timedelta(days=days),
        )
        quotes.send(
            session,
            runtime.settings,
            principal,
            demand_id,
            body,
            ctx=get_signing_context(runtime),
            now=now,
        )
    except _FieldError as exc:
        errors = FormErrors({exc.field: exc.message}, values, 400)
        return _demand_page(page, principal, session, demand_id, errors)
    except ValidationError as exc:
        session.rollback()
        return _demand_page(
            page, principal, session, demand_id, FormErrors.of_validation(exc, values)
        )
    except DatabourseError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _demand_page(page, principal, session, demand_id, FormErrors.of(exc, values))
    return page.redirect(f"/supplier/demands/{demand_id}#quotes")


# --- auctions ----------------------------------------------------------------------------------

AUCTION_HOURS_MAX = 24 * 90


class AuctionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    listing_id: int = Field(ge=1, le=limits.id_max)
    reserve: str = Field(default="", max_length=40)
    commit_hours: str = Field(default="", max_length=12)
    reveal_hours: str = Field(default="", max_length=12)

    def values(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump().items()}


def _hours(text: str, field: str, page: Page) -> int:
    hours = _integer(text, field, page)
    if hours is None or not 1 <= hours <= AUCTION_HOURS_MAX:
        raise _FieldError(field, page.text(N_("Between 1 and 2160 hours.")))
    return hours


def _signing_if_ready(runtime: Runtime) -> SigningContext | None:
    """The signing context once the chain is known (an auction read resolves only then)."""
    try:
        return get_signing_context(runtime)
    except DatabourseError:
        return None


def _auctions_page(
    page: Page, principal: Principal, session: Session, runtime: Runtime, errors: FormErrors
) -> Response:
    now = utc_now()
    offered, _ = listings.of_supplier(session, principal, offset=0, limit=PAGE_SIZE)
    exclusive = [item for item in offered if item.exclusive and item.available]
    ctx = _signing_if_ready(runtime)
    rows = [
        (item, auction)
        for item in exclusive
        for auction in auctions.for_listing(session, runtime.settings, item.id, ctx, now)
    ]
    return page.render(
        "supplier/auctions.html",
        status=errors.status,
        nav_active="supplier-auctions",
        exclusive=exclusive,
        rows=rows,
        errors=errors,
        currency=page.settings.currency_unit.code,
    )


@router.get("/supplier/auctions")
def my_auctions(
    page: PageDep, principal: PageVerifiedSupplier, session: SessionDep, runtime: RuntimeDep
) -> Response:
    defaults = {"commit_hours": "48", "reveal_hours": "24"}
    return _auctions_page(page, principal, session, runtime, FormErrors.empty(defaults))


@router.post("/supplier/auctions")
def open_auction(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    form: Annotated[AuctionForm, Form()],
) -> Response:
    values = form.values()
    try:
        now = utc_now()
        commit = now + timedelta(hours=_hours(form.commit_hours, "commit_hours", page))
        reveal = commit + timedelta(hours=_hours(form.reveal_hours, "reveal_hours", page))
        body = AuctionCreate(
            listing_id=form.listing_id,
            reserve_minor=_minor(form.reserve, "reserve", page),
            commit_deadline=commit,
            reveal_deadline=reveal,
        )
        auctions.open_auction(session, runtime.settings, principal, body, now)
    except _FieldError as exc:
        errors = FormErrors({exc.field: exc.message}, values, 400)
        return _auctions_page(page, principal, session, runtime, errors)
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, values)
        return _auctions_page(page, principal, session, runtime, errors)
    return page.redirect("/supplier/auctions")


# --- sales -------------------------------------------------------------------------------------


@router.get("/supplier/sales")
def my_sales(
    page: PageDep,
    principal: PageVerifiedSupplier,
    session: SessionDep,
    before_id: Annotated[int | None, Query(ge=1, le=limits.id_max)] = None,
) -> Response:
    found = orders.my_orders(
        session, page.settings, principal, before_id=before_id, limit=PAGE_SIZE
    )
    organization = principal.account.organization_id
    sales = [o for o in found.items if o.supplier_organization_id == organization]
    return page.render(
        "supplier/sales.html",
        nav_active="supplier-sales",
        sales=sales,
        now=utc_now(),  # a settled sale's dispute deadline, still to come or passed
        next_before_id=found.next_before_id,
    )


# Last: the upload's router joins the pages' one.
router.include_router(upload_router)
