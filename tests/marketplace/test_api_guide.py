"""docs/api.md lists every route the app serves, and no route it does not serve: a new reader
finds every route group there, and nothing in it is made up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from marketplace.app import create_app
from marketplace.runtime import Runtime

GUIDE = Path(__file__).parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.M)
IMPLIED = {"HEAD"}  # answered wherever GET is


def _routes(routes: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's lazily included router
        if included is not None:
            yield from _routes(included.routes)
        for method in getattr(route, "methods", None) or ():
            if method not in IMPLIED:
                yield method, route.path


def test_the_api_guide_documents_exactly_the_routes_the_app_serves(runtime: Runtime) -> None:
    served = set(_routes(create_app(runtime=runtime).routes))
    documented = set(ROW.findall(GUIDE.read_text(encoding="utf-8")))

    assert len(served) > 50  # the walk found the included routers' routes
    assert served - documented == set(), "served but not in docs/api.md"
    assert documented - served == set(), "in docs/api.md but not served"
