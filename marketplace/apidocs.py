"""The API documentation page, served entirely from this process.

FastAPI's default /docs and /redoc pages load Swagger UI and fonts from public CDNs; an exchange
must not make its users' browsers fetch code from third parties, and our machines reach no
CDN. The OpenAPI document is 3.1, which only Swagger UI 5 and later renders: its files come from
the ``fastapi-offline`` package (pyproject.toml says why that one) and are served here.

The page has no inline script, so it runs under a Content-Security-Policy that allows scripts
from this origin only (``DOCS_CSP``): the HTML loads the Swagger UI bundle and ``init.js``, and
``init.js`` reads the document's URL from the page. There is no ReDoc page: one renderer of the
one document is enough.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
INIT_PATH = "/docs/init.js"
# What the page needs, and no more: scripts, styles and the document from this origin, the data:
# images Swagger UI's stylesheet draws its icons with. React sets inline styles through the DOM,
# which style-src does not govern; no 'unsafe-inline' or 'unsafe-eval' for scripts.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SWAGGER_UI_FILES = files("fastapi_offline") / "static"
INIT_JS = """\
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
  });
});
"""


def docs_html(title: str, openapi_url: str) -> str:
    """The page: Swagger UI's stylesheet and scripts, all from ``ASSETS_PATH`` and ``INIT_PATH``."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">'
        f"<title>{escape(title)}</title></head><body>"
        f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>'
        f'<script src="{INIT_PATH}"></script>'
        "</body></html>\n"
    )


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from local files (the app must be built with docs_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(SWAGGER_UI_FILES)), name="docs-assets")
    page = docs_html(f"{app.title} API", app.openapi_url or "/openapi.json")

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(INIT_PATH, include_in_schema=False)
    def docs_init() -> Response:
        return Response(INIT_JS, media_type="text/javascript")


# --- OpenAPI links ------------------------------------------------------------------------------
# Which operation's answer feeds which other operation: the creating operations, and the pages
# that list rows, name the routes that take the created or listed id. A client (or a stateful
# fuzzer) follows them without guessing ids. Each entry: source (method, path, status), link name,
# target (method, path), the target's parameters and body fields taken from the source's answer.
Route = tuple[str, str]
CREATED = "$response.body#/id"
FIRST = "$response.body#/items/0/id"


def _to(method: str, path: str, param: str, value: str = CREATED) -> tuple[Route, dict[str, str]]:
    return (method, path), {param: value}


_ASSET = "asset_id"
_ORDER = "order_id"
_DEMAND = "demand_id"
_DISPUTE = "dispute_id"
_LISTING = "listing_id"
_ORDER_FOLLOWERS = {
    "GetOrder": _to("get", "/orders/{order_id}", _ORDER),
    "PayOrder": _to("post", "/orders/{order_id}/pay", _ORDER),
    "AcceptOrder": _to("post", "/orders/{order_id}/accept", _ORDER),
    "CancelOrder": _to("post", "/orders/{order_id}/cancel", _ORDER),
    "OrderPeriods": _to("get", "/orders/{order_id}/periods", _ORDER),
    "OpenDispute": _to("post", "/orders/{order_id}/disputes", _ORDER),
}
PATH_LINKS: dict[tuple[str, str, str], dict[str, tuple[Route, dict[str, str]]]] = {
    ("post", "/assets", "201"): {
        "GetAsset": _to("get", "/assets/{asset_id}", _ASSET),
        "UpdateAsset": _to("patch", "/assets/{asset_id}", _ASSET),
        "DeleteDraft": _to("delete", "/assets/{asset_id}", _ASSET),
        "AddRevision": _to("post", "/assets/{asset_id}/revisions", _ASSET),
        "ListRevisions": _to("get", "/assets/{asset_id}/revisions", _ASSET),
        "SubmitAsset": _to("post", "/assets/{asset_id}/submit", _ASSET),
        "GetApplication": _to("get", "/assets/{asset_id}/application", _ASSET),
        "IssueValuation": _to("post", "/assets/{asset_id}/valuations", _ASSET),
    },
    ("post", "/listings", "201"): {
        "GetListing": _to("get", "/listings/{listing_id}", _LISTING),
        "GetListingOdrl": _to("get", "/listings/{listing_id}/odrl", _LISTING),
        "PauseListing": _to("post", "/listings/{listing_id}/pause", _LISTING),
        "WithdrawListing": _to("post", "/listings/{listing_id}/withdraw", _LISTING),
    },
    ("get", "/listings", "200"): {
        "GetListing": _to("get", "/listings/{listing_id}", _LISTING, FIRST),
    },
    ("post", "/demands", "201"): {
        "GetDemand": _to("get", "/demands/{demand_id}", _DEMAND),
        "CloseDemand": _to("post", "/demands/{demand_id}/close", _DEMAND),
        "DemandMatches": _to("get", "/demands/{demand_id}/matches", _DEMAND),
        "ListQuotes": _to("get", "/demands/{demand_id}/quotes", _DEMAND),
    },
    ("get", "/demands", "200"): {
        "GetDemand": _to("get", "/demands/{demand_id}", _DEMAND, FIRST),
        "SendQuote": _to("post", "/demands/{demand_id}/quotes", _DEMAND, FIRST),
    },
    ("post", "/orders/purchase", "201"): _ORDER_FOLLOWERS,
    ("post", "/orders", "201"): _ORDER_FOLLOWERS,
    ("get", "/orders", "200"): {
        "GetOrder": _to("get", "/orders/{order_id}", _ORDER, FIRST),
        "OpenDispute": _to("post", "/orders/{order_id}/disputes", _ORDER, FIRST),
    },
    ("post", "/orders/{order_id}/disputes", "201"): {
        "GetDispute": _to("get", "/disputes/{dispute_id}", _DISPUTE),
        "ListEvidence": _to("get", "/disputes/{dispute_id}/evidence", _DISPUTE),
        "SubmitStatement": _to("post", "/disputes/{dispute_id}/evidence", _DISPUTE),
        "DisputeRecord": _to("get", "/disputes/{dispute_id}/record", _DISPUTE),
        "DisputeDossier": _to("get", "/disputes/{dispute_id}/dossier", _DISPUTE),
    },
    ("get", "/disputes", "200"): {
        "GetDispute": _to("get", "/disputes/{dispute_id}", _DISPUTE, FIRST),
    },
}
# Links that fill a field of the target's JSON body rather than a path parameter.
BODY_LINKS: dict[tuple[str, str, str], dict[str, tuple[Route, dict[str, str]]]] = {
    ("get", "/listings", "200"): {
        "PurchaseListed": (("post", "/orders/purchase"), {_LISTING: FIRST}),
    },
    ("post", "/listings", "201"): {
        "PurchaseCreated": (("post", "/orders/purchase"), {_LISTING: CREATED}),
    },
}


def add_links(document: dict[str, Any]) -> None:
    """Adds ``PATH_LINKS`` and ``BODY_LINKS`` to an OpenAPI document, in place. A link to or from
    a route the document lacks is a KeyError: the table must follow the routes."""
    paths = document["paths"]
    for table, field in ((PATH_LINKS, "parameters"), (BODY_LINKS, "requestBody")):
        for (method, path, status), links in table.items():
            response = paths[path][method]["responses"][status]
            for name, ((target_method, target_path), values) in links.items():
                link = {"operationId": paths[target_path][target_method]["operationId"]}
                link[field] = values
                response.setdefault("links", {})[name] = link


def install_links(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with the links above."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_links(generate())  # FastAPI caches the document it generates in openapi_schema
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented customisation
