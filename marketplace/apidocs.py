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
