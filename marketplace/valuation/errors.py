"""Valuation errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import NotFound


class ValuationNotFound(NotFound):
    code = "valuation_not_found"
