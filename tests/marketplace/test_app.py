"""The app's routers: the orders router is included first (marketplace/app.py), which is safe only
while none of its routes answers a request that another router's route is there to serve."""

from __future__ import annotations

import re

from starlette.routing import Match, Route

from marketplace.app import create_app
from marketplace.orders import endpoints as order_endpoints
from marketplace.runtime import Runtime
from tests.routes import walk

_PARAMETER = re.compile(r"\{[^}]+\}")


def _sample(path: str) -> str:
    """A concrete path for ``path``'s template: each parameter filled with a plain value."""
    return _PARAMETER.sub("7", path)


def _answered_by_orders(method: str, path: str) -> list[str]:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    return [
        route.path
        for route in order_endpoints.router.routes
        if isinstance(route, Route) and route.matches(scope)[0] == Match.FULL
    ]


def test_no_orders_route_answers_another_routers_request(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    orders = {id(route) for route in order_endpoints.router.routes}
    others = [
        route for route in walk(app.routes) if isinstance(route, Route) and id(route) not in orders
    ]
    assert len(others) > 100  # the walk found the other routers' routes
    shadowed = {
        f"{method} {route.path}": taken
        for route in others
        for method in sorted(route.methods or ())
        if (taken := _answered_by_orders(method, _sample(route.path)))
    }
    assert shadowed == {}


def test_the_check_finds_a_shadowed_route() -> None:
    # The purchase route's own path, as another router's route would have it.
    assert _answered_by_orders("POST", _sample("/orders/purchase")) == ["/orders/purchase"]
    assert _answered_by_orders("GET", _sample("/orders/{order_id}")) == ["/orders/{order_id}"]
