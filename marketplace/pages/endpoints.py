"""The public web pages over HTTP: server-rendered, read-only HTML for buyers and auditors.

Every page shows the anonymous public's view (listed assets only; no token is read). Query and
path parameters are parsed here by hand (``params``) so that a bad one, like any 4xx domain error
(an unlisted asset, an unknown seq), answers an HTML error page with its status, never JSON and
never a 500. Every response carries the pages' Content-Security-Policy: no script, nothing from
another host.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ledger import limits as ledger_limits
from marketplace import limits
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.pages import account, disputes, params
from marketplace.pages.asset import asset_page
from marketplace.pages.catalog import catalog_page
from marketplace.pages.explorer import batches_page, entries_page, entry_page
from marketplace.pages.home import WELL_KNOWN, home_view
from marketplace.pages.layout import error_body, layout
from marketplace.pages.security import CSP
from marketplace.pages.web import PageDep, page_router
from marketplace.transparency.service import connected_trust_anchor

log = logging.getLogger("databourse.pages")
router = APIRouter(tags=["pages"], include_in_schema=False)
pages = page_router()


def html(content: str, status: int = 200) -> HTMLResponse:
    # The other security headers come from SecurityHeadersMiddleware; a page's policy is its own
    # (the same one its <meta> tag carries when a report is saved as a file).
    return HTMLResponse(content, status_code=status, headers={"Content-Security-Policy": CSP})


def render(build: Callable[[], str]) -> HTMLResponse:
    """The page ``build`` makes, or an error page for a client error it raises."""
    try:
        return html(build())
    except DatabourseError as exc:
        if exc.status >= 500:
            raise
        log.info("page refused: %s %s", exc.code, exc.message)
        return html(layout(f"Error {exc.status}", error_body(exc.status, exc.message)), exc.status)


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


@router.get("/catalog", response_class=HTMLResponse)
def catalog(request: Request, session: SessionDep) -> HTMLResponse:
    def build() -> str:
        query = request.query_params
        return catalog_page(
            session,
            q=params.text(query, "q", length_max=limits.web_query_length_max),
            theme=params.text(query, "theme", length_max=limits.web_query_length_max),
            page=params.integer(query, "page", default=1, low=1, high=limits.web_page_number_max),
        )

    return render(build)


@router.get("/catalog/{asset_id}", response_class=HTMLResponse)
def catalog_asset(asset_id: str, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    scale = runtime.settings.currency_scale
    return render(
        lambda: asset_page(session, params.path_id(asset_id, "asset"), currency_scale=scale)
    )


@router.get("/explorer", response_class=HTMLResponse)
def explorer(request: Request, session: SessionDep) -> HTMLResponse:
    def build() -> str:
        query = request.query_params
        return entries_page(
            session,
            after_seq=params.integer(query, "after_seq", default=0, low=0, high=limits.id_max),
            kind=params.text(query, "kind", length_max=ledger_limits.journal_kind_length_max),
            subject=params.text(
                query, "subject", length_max=ledger_limits.journal_subject_length_max
            ),
        )

    return render(build)


@router.get("/explorer/entries/{seq}", response_class=HTMLResponse)
def explorer_entry(seq: str, session: SessionDep) -> HTMLResponse:
    return render(lambda: entry_page(session, params.path_id(seq, "journal entry")))


@router.get("/explorer/batches", response_class=HTMLResponse)
def explorer_batches(request: Request, session: SessionDep) -> HTMLResponse:
    def build() -> str:
        after_id = params.integer(
            request.query_params, "after_id", default=0, low=0, high=limits.id_max
        )
        return batches_page(session, after_id=after_id)

    return render(build)


# Last, so the routes above are all defined: one router for the app to include.
router.include_router(pages)
router.include_router(account.router)
router.include_router(disputes.router)
