"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from marketplace import health, limits
from marketplace.apidocs import DOCS_CSP, DOCS_PATH, install_docs, install_links
from marketplace.assets import endpoints as asset_endpoints
from marketplace.auctions import endpoints as auction_endpoints
from marketplace.books import endpoints as books_endpoints
from marketplace.concurrency import InFlightLimitMiddleware
from marketplace.db import make_engine
from marketplace.delivery import endpoints as delivery_endpoints
from marketplace.disputes import endpoints as dispute_endpoints
from marketplace.fingerprint import endpoints as fingerprint_endpoints
from marketplace.fingerprint import service as fingerprint_service
from marketplace.http import (
    ERROR_RESPONSES,
    BodySizeLimitMiddleware,
    ContentEncodingMiddleware,
    JsonDepthLimitMiddleware,
    SecurityHeadersMiddleware,
    install_error_handlers,
    served_over_tls,
    text_guard,
)
from marketplace.identity import endpoints as identity_endpoints
from marketplace.listings import endpoints as listing_endpoints
from marketplace.listings import suggestion_endpoints as price_suggestion_endpoints
from marketplace.matching import endpoints as matching_endpoints
from marketplace.notifications import endpoints as notification_endpoints
from marketplace.observability import RequestContextMiddleware, configure_logging
from marketplace.orders import endpoints as order_endpoints
from marketplace.pages import disputes as dispute_pages
from marketplace.pages import endpoints as page_endpoints
from marketplace.quality import endpoints as quality_endpoints
from marketplace.quotes import endpoints as quote_endpoints
from marketplace.redaction import secrets_of
from marketplace.runtime import Runtime
from marketplace.settings import Settings, get_settings
from marketplace.transparency import endpoints as transparency_endpoints
from marketplace.valuation import endpoints as valuation_endpoints

API_TITLE = "Databourse"


def build_runtime(settings: Settings) -> Runtime:
    from marketplace.books.payment_job import attach_payments
    from marketplace.chain_runtime import attach_chain
    from marketplace.disputes.execution_job import attach_execution
    from marketplace.migrations import upgrade_embedded
    from marketplace.notifications import attach_delivery
    from marketplace.orders.settlement_job import attach_settlement
    from marketplace.ratelimit import attach_probe

    engine = make_engine(settings.database_url)
    upgrade_embedded(engine)
    runtime = Runtime(settings=settings, engine=engine)
    attach_chain(runtime)
    attach_delivery(runtime)
    attach_settlement(runtime)
    attach_payments(runtime)
    attach_execution(runtime)
    attach_probe(runtime)
    return runtime


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())
    configure_logging(settings.log_level, settings.log_json, secrets_of(settings))
    rt = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if runtime is None:  # we built it, we close it
            rt.close()

    app = FastAPI(
        title=API_TITLE,
        version="0.1.0",
        summary="An open data exchange with a chain-anchored, tamper-evident journal",
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_docs, never from a CDN
        redoc_url=None,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(text_guard(exempt_prefixes=(asset_endpoints.UPLOAD_PREFIX,)))],
    )
    app.state.runtime = rt
    install_error_handlers(app)
    install_docs(app)
    install_links(app)
    # The last added runs first: request context, security headers, body size, JSON depth.
    app.add_middleware(
        JsonDepthLimitMiddleware,
        depth_max=limits.json_nesting_depth_max,
        exempt_prefixes=(asset_endpoints.UPLOAD_PREFIX,),
    )
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.request_body_bytes_max,
        # Asset uploads stream and enforce upload_bytes_max themselves.
        exempt_prefixes=(asset_endpoints.UPLOAD_PREFIX,),
    )
    app.add_middleware(ContentEncodingMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        csp_by_path={DOCS_PATH: DOCS_CSP},
        hsts=served_over_tls(settings.public_url),
    )
    app.add_middleware(RequestContextMiddleware, metrics=rt.metrics)
    # Orders first: the router tries the routes of every router included before the one that
    # serves a request, and purchases are the requests that cost most (docs/orders.md,
    # "Fifth pass"). No orders route matches another router's path (tests/marketplace/test_app.py).
    app.include_router(order_endpoints.router)
    app.include_router(health.router)
    app.include_router(identity_endpoints.router)
    app.include_router(transparency_endpoints.router)
    app.include_router(transparency_endpoints.well_known_router)
    app.include_router(asset_endpoints.router)
    app.include_router(quality_endpoints.router)
    app.include_router(valuation_endpoints.router)
    app.include_router(listing_endpoints.router)
    app.include_router(notification_endpoints.router)
    app.include_router(price_suggestion_endpoints.router)
    app.include_router(matching_endpoints.router)
    app.include_router(quote_endpoints.router)
    app.include_router(auction_endpoints.router)
    app.include_router(books_endpoints.router)
    app.include_router(delivery_endpoints.router)
    app.include_router(fingerprint_endpoints.router)
    # Dispute pages at the API's own paths, for requests asking for HTML (docs/pages.md).
    app.include_router(dispute_pages.browser)
    app.include_router(dispute_endpoints.router)
    fingerprint_service.attach(settings)  # fingerprinted listings' downloads are marked
    app.include_router(page_endpoints.router)
    app.add_middleware(
        InFlightLimitMiddleware,
        requests_max=limits.requests_in_flight_max,
        uploads_max=limits.uploads_in_flight_max,
        upload_prefix=asset_endpoints.UPLOAD_PREFIX,
    )
    return app
