"""GET /health, GET /metrics and GET /currency."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlmodel import Session

from ledger.progress import anchoring_progress
from marketplace.db import ping
from marketplace.deps import RuntimeDep
from marketplace.redaction import scrubbed, secrets_of
from marketplace.runtime import Runtime

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Database and chain status")
def health(runtime: RuntimeDep) -> JSONResponse:
    report = probe_report(runtime)
    # The database is essential; the chain is not (entries queue until it returns).
    status = "ok" if all(part.get("ok") for part in report.values()) else "degraded"
    if not report["database"]["ok"]:
        status = "down"
    return JSONResponse({"status": status, **report}, status_code=503 if status == "down" else 200)


def probe_report(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Each part's status: ``database`` and every probe the runtime holds (the chain, the
    anchoring worker), each ``{"ok": bool, ...}``; a probe that fails reports, never raises.
    Anyone may read it, so the settings' secrets in an error's text (a node URL's API key, quoted
    by a connection error) are written as ``***``, as in the logs."""
    report: dict[str, dict[str, Any]] = {}
    try:
        ping(runtime.engine)
        report["database"] = {"ok": True, "backend": runtime.engine.dialect.name}
    except Exception as exc:  # noqa: BLE001 -- any failure means the database is down
        report["database"] = {"ok": False, "error": type(exc).__name__}
    for name, probe in runtime.probes.items():
        try:
            report[name] = probe()
        except Exception as exc:  # noqa: BLE001 -- a probe that fails reports, never raises
            report[name] = {"ok": False, "error": type(exc).__name__}
    secrets = secrets_of(runtime.settings)
    return {name: _scrubbed(part, secrets) for name, part in report.items()}


def _scrubbed(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrubbed(value, secrets)
    if isinstance(value, dict):
        return {key: _scrubbed(item, secrets) for key, item in value.items()}
    return value


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(runtime: RuntimeDep) -> Response:
    with Session(runtime.engine) as s:
        runtime.metrics.observe_ledger(anchoring_progress(s))
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/currency", summary="The currency amounts are in, and its minor-unit scale")
def currency(runtime: RuntimeDep) -> dict[str, str | int]:
    """Every ``*_minor`` amount the exchange answers is an integer of 10**-``scale`` units of
    ``currency`` (CNY with scale 2: fen). Clients format amounts with it."""
    return {"currency": runtime.settings.currency, "scale": runtime.settings.currency_scale}
