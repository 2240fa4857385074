"""Query and path parameters of the public pages, read by hand so that a bad one gets an HTML
4xx page (FastAPI's own validation would answer JSON before the route runs).

Empty values mean "not given" (an empty search box submits ``q=``). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from marketplace import limits
from marketplace.errors import BadRequest, NotFound

_DIGITS = re.compile(r"[0-9]{1,19}")
# Control characters (NUL among them: PostgreSQL refuses it in text) and lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class BadParameter(BadRequest):
    code = "bad_parameter"


class PageNotFound(NotFound):
    code = "page_not_found"


def integer(params: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(f"'{name}' must be a whole number from {low} to {high}")
    return int(raw)


def text(params: Mapping[str, str], name: str, *, length_max: int) -> str | None:
    raw = params.get(name, "").strip()
    if raw == "":
        return None
    if len(raw) > length_max:
        raise BadParameter(f"'{name}' is longer than {length_max} characters")
    if _UNPRINTABLE.search(raw):
        raise BadParameter(f"'{name}' contains control characters")
    return raw


def path_id(raw: str, what: str) -> int:
    """A positive 64-bit id from the path; anything else is a 404 page, like an unknown id."""
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= limits.id_max:
        raise PageNotFound(f"there is no {what} {raw!r}")
    return int(raw)
