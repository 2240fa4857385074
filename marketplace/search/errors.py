"""Search errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Unprocessable


class InvalidCursor(Unprocessable):
    """The cursor is not one this search handed out, or belongs to other words, filters or
    order."""

    code = "invalid_cursor"
