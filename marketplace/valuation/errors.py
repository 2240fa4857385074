"""Valuation errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import NotFound, Unprocessable


class NoValueToCertify(Unprocessable):
    code = "no_value_to_certify"


class ValuationNotFound(NotFound):
    code = "valuation_not_found"
