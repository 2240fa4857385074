"""docs/api.md lists every route the app serves, and no route it does not serve: a new reader
finds every route group there, and nothing in it is made up."""

from __future__ import annotations

import re
from pathlib import Path

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.routes import served_routes

GUIDE = Path(__file__).parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.M)


def test_the_api_guide_documents_exactly_the_routes_the_app_serves(runtime: Runtime) -> None:
    served = set(served_routes(create_app(runtime=runtime).routes))
    documented = set(ROW.findall(GUIDE.read_text(encoding="utf-8")))

    assert len(served) > 50  # the walk found the included routers' routes
    assert served - documented == set(), "served but not in docs/api.md"
    assert documented - served == set(), "in docs/api.md but not served"
