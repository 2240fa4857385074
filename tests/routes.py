"""The app's routes, walked once for every test that checks each route has something: a row in
the authorisation matrix, a line in docs/api.md, a test of its verified guard."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from starlette.routing import BaseRoute, Route

IMPLIED = {"HEAD"}  # answered wherever GET is


def walk(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route in ``routes`` and in the routers included there, however deep."""
    for route in routes:
        yield route
        included = getattr(route, "original_router", None)  # FastAPI's lazily included router
        if included is not None:
            yield from walk(included.routes)


def served_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app answers, the implied HEAD left out."""
    for route in walk(routes):
        if isinstance(route, Route):  # FastAPI's APIRoute and the pages' PageRoute among them
            for method in route.methods or ():
                if method not in IMPLIED:
                    yield method, route.path
