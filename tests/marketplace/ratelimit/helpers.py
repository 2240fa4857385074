"""Abuse limits under test: lowered on a running app, or namespaced apart in the shared Redis."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from marketplace.ratelimit import RateLimits, rate_limits_of
from marketplace.runtime import Runtime

REDIS_URL = "redis://127.0.0.1:6379/0"


def lower_limits(app: FastAPI, **settings: object) -> RateLimits:
    """Gives the app's runtime counters with these settings (``signups_per_network_max=2``),
    in the store its settings name; the limits already counted stay in the old counters."""
    runtime: Runtime = app.state.runtime
    runtime.settings = runtime.settings.model_copy(update=settings)
    runtime.rate_limits = None
    return rate_limits_of(runtime)


def unique_prefix() -> str:
    """A key prefix of one test's own in the shared Redis (tests run in parallel)."""
    return f"test-{uuid.uuid4().hex}"
