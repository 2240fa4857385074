"""The public pages' routes (home, catalog, asset, ledger explorer), and ``router``: every page
router of the package, for ``marketplace.app`` to include.

They show the public's view (listed assets only) whoever is signed in, but for the asset
page's price history of comparable trades: the viewer's own organisation's trades. Query and path
parameters are parsed by hand (``params``) so that a bad one answers an HTML page; any 4xx
domain error becomes the error page (``web.PageRoute``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from ledger import limits as ledger_limits
from marketplace import limits
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.pages import (
    account,
    asset,
    buyer,
    buyer_auctions,
    buyer_demands,
    catalog,
    disputes,
    explorer,
    money,
    operator,
    params,
    supplier,
)
from marketplace.pages.home import WELL_KNOWN, home_view
from marketplace.pages.web import FormErrors, Page, PageDep, page_router
from marketplace.transparency.service import connected_trust_anchor

router = APIRouter(tags=["pages"], include_in_schema=False)
pages = page_router()


@pages.get("/")
def home(page: PageDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    return page.render(
        "home.html",
        nav_active="home",
        view=home_view(session, chain_id=runtime.chain_id),
        trust=connected_trust_anchor(runtime),
        well_known=WELL_KNOWN,
        query_length_max=limits.web_query_length_max,
    )


@pages.get("/catalog")
def catalog_search(request: Request, page: PageDep, session: SessionDep) -> Response:
    form = {name: request.query_params.get(name, "") for name in catalog.FILTER_FIELDS}
    view, errors = None, FormErrors.empty(form)
    try:
        for name in ("q", "theme"):
            params.text(form, name, length_max=limits.web_query_length_max)
    except params.BadParameter as exc:
        errors = FormErrors.of(exc, form)
        return _catalog_page(page, form, None, errors)
    try:
        view = catalog.catalog_view(
            session, catalog.search_from_form(form, page.settings.currency_scale)
        )
    except ValidationError as exc:
        errors = _catalog_errors(FormErrors.of_validation(exc, form))
    except DatabourseError as exc:  # a cursor of another search
        errors = FormErrors.of(exc, form)
    return _catalog_page(page, form, view, errors)


def _catalog_page(
    page: Page, form: dict[str, str], view: catalog.CatalogView | None, errors: FormErrors
) -> Response:
    return page.render(
        "catalog.html",
        status=errors.status,
        nav_active="catalog",
        form=form,
        view=view,
        errors=errors,
        filtered=any(
            form[name] for name in catalog.FILTER_FIELDS if name not in {"sort", "cursor"}
        ),
        classifications=catalog.CLASSIFICATIONS,
        purposes=catalog.PURPOSES,
        frequencies=catalog.FREQUENCY_CHOICES,
        sorts=catalog.SORTS,
        currency=page.settings.currency,
        query_length_max=limits.web_query_length_max,
    )


def _catalog_errors(errors: FormErrors) -> FormErrors:
    """The API's field names (``price_min_minor``) as the form's (``price_min``)."""
    renamed = {name.removesuffix("_minor"): text for name, text in errors.messages.items()}
    return FormErrors(renamed, errors.values, errors.status)


@pages.get("/catalog/{asset_id}")
def catalog_asset(asset_id: str, page: PageDep, session: SessionDep) -> Response:
    view = asset.asset_view(session, params.path_id(asset_id, "asset"), page.viewer)
    return page.render(
        "asset.html", nav_active="catalog", view=view, constraints_text=asset.constraints_text
    )


@pages.get("/catalog/{asset_id}/certificate/check")
def catalog_certificate_check(
    asset_id: str, request: Request, page: PageDep, session: SessionDep
) -> Response:
    """The certificate's "verify" action: a fragment for htmx, else a page."""
    shown = asset.asset_view(session, params.path_id(asset_id, "asset"))
    if shown.certificate is None:
        raise params.PageNotFound(f"asset {shown.asset.id} has no registration certificate yet")
    check = asset.certificate_check(shown.certificate)
    template = (
        "certificate_result.html" if request.headers.get("hx-request") else "certificate_check.html"
    )
    return page.render(template, nav_active="catalog", check=check, asset_id=shown.asset.id)


@pages.get("/explorer")
def explorer_entries(request: Request, page: PageDep, session: SessionDep) -> Response:
    query = request.query_params
    after_seq = params.integer(query, "after_seq", default=0, low=0, high=limits.id_max)
    kind = params.text(query, "kind", length_max=ledger_limits.journal_kind_length_max)
    subject = params.text(query, "subject", length_max=ledger_limits.journal_subject_length_max)
    return page.render(
        "explorer.html",
        nav_active="explorer",
        found=explorer.entries(session, after_seq=after_seq, kind=kind, subject=subject),
        after_seq=after_seq,
        kind=kind,
        subject=subject,
        kind_length_max=ledger_limits.journal_kind_length_max,
        subject_length_max=ledger_limits.journal_subject_length_max,
    )


@pages.get("/explorer/entries/{seq}")
def explorer_entry(seq: str, page: PageDep, session: SessionDep) -> Response:
    view = explorer.entry_view(session, params.path_id(seq, "journal entry"))
    return page.render(
        "entry.html", nav_active="explorer", e=view.e, batch=view.batch, has_next=view.has_next
    )


@pages.get("/explorer/entries/{seq}/check")
def explorer_entry_check(
    seq: str, request: Request, page: PageDep, session: SessionDep
) -> Response:
    """The receipt's "check" action: a fragment for htmx, else a page."""
    entry_seq = params.path_id(seq, "journal entry")
    check = explorer.receipt_check(session, entry_seq)
    template = "receipt_result.html" if request.headers.get("hx-request") else "receipt_check.html"
    return page.render(template, nav_active="explorer", check=check, seq=entry_seq)


@pages.get("/explorer/batches")
def explorer_batches(request: Request, page: PageDep, session: SessionDep) -> Response:
    after_id = params.integer(
        request.query_params, "after_id", default=0, low=0, high=limits.id_max
    )
    return page.render(
        "batches.html",
        nav_active="batches",
        found=explorer.batches(session, after_id=after_id),
        after_id=after_id,
    )


# Last, so the routes above are all defined: one router for the app to include.
router.include_router(pages)
router.include_router(account.router)
router.include_router(operator.router)
router.include_router(supplier.router)
router.include_router(money.router)
router.include_router(buyer.router)
router.include_router(buyer_demands.router)
router.include_router(buyer_auctions.router)
router.include_router(disputes.router)
