"""Money on the command line: what people type and read, never minor units.

Every ``bourse`` option or argument that is an amount takes it in the exchange's currency as a
decimal number with at most the currency's scale of decimals (``12.50``, ``1,250.50``,
``12.50 CNY``; CNY has 2, so ``12.505`` is refused), and every amount printed is in that form
(``1,250.50 CNY``). The API keeps integer minor units (``*_minor``); the CLI converts at the
edge, with the scale the exchange announces (``GET /currency``). A refused amount ends the
command with exit status 2 and one line naming the option and the reason.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import typer

from marketplace import limits
from marketplace.cli.common import err, fail
from marketplace.client import Databourse, DatabourseClientError
from marketplace.money import Currency, parse_amount

MINOR_SUFFIX = "_minor"


def currency_of(bourse: Databourse) -> Currency:
    """The exchange's currency and scale (``GET /currency``); a refusal ends the command."""
    try:
        return bourse.currency()
    except DatabourseClientError as exc:
        raise fail(exc) from exc


def minor_units(text: str, currency: Currency, *, option: str) -> int:
    """``text`` (``"12.50"``, ``"1,250.50"``, ``"12.50 CNY"``), positive, in minor units of the
    exchange's currency; a refusal ends the command (exit 2) naming ``option``."""
    number = _number(text, currency, option)
    try:
        minor = parse_amount(number, currency.scale)
    except ValueError as exc:
        _refuse(option, f"{exc}; {currency.code} amounts have {_decimals(currency)}, e.g. "
                        f"{_example(currency)}")  # fmt: skip
    if minor > limits.amount_minor_max:
        _refuse(option, f"{text!r} is more than the exchange can count")
    return minor


def minor_bound(text: str, currency: Currency, *, option: str) -> int:
    """As ``minor_units``, but 0 is allowed too (a search's lowest price)."""
    number = _number(text, currency, option)
    try:
        if Decimal(number.replace(",", "").replace("_", "")) == 0:
            return 0
    except InvalidOperation:
        pass  # minor_units says what is wrong with it
    return minor_units(number, currency, option=option)


def price_model(text: str, currency: Currency, *, option: str = "--price") -> dict[str, Any]:
    """A price model given as JSON with human amounts: each amount field named without its
    ``_minor`` suffix, as a string or a number (``{"kind": "metered", "unit": "row",
    "unit_price": "0.05", "cap": "500"}``), converted to the API's ``*_minor`` integers. A
    ``*_minor`` field is refused: the CLI takes amounts in the currency, not minor units."""
    try:
        # Numbers as Decimal: 0.1 stays 0.1, never a float near it.
        model = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        _refuse_json(option, f"not JSON: {exc}")
    if not isinstance(model, dict):
        _refuse_json(option, 'a JSON object such as {"kind": "negotiable"}')
    converted: dict[str, Any] = _converted(model, currency, option)
    return converted


def _converted(value: Any, currency: Currency, option: str) -> Any:
    if isinstance(value, list):
        return [_converted(item, currency, option) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key.endswith(MINOR_SUFFIX):
            bare = key.removesuffix(MINOR_SUFFIX)
            _refuse_json(option, f'give "{bare}" in {currency.code} (e.g. "12.50"), not {key}')
        if key in _AMOUNT_FIELDS:
            if isinstance(item, bool) or not isinstance(item, str | int | Decimal):
                _refuse(f"{option} {key}", f"{item!r} is not an amount")
            out[key + MINOR_SUFFIX] = minor_units(str(item), currency, option=f"{option} {key}")
        else:
            out[key] = _converted(item, currency, option)
    return out


#: The price models' amount fields (marketplace/listings/price_models.py), without ``_minor``.
_AMOUNT_FIELDS = frozenset({"amount", "unit_price", "cap", "cost", "price"})


def _number(text: str, currency: Currency, option: str) -> str:
    """The number in ``text``, whose currency code, if any, must be the exchange's."""
    parts = text.split()
    if len(parts) == 2 and parts[1].upper() == currency.code.upper():
        return parts[0]
    if len(parts) == 2 and parts[0].upper() == currency.code.upper():
        return parts[1]
    if len(parts) != 1:
        _refuse(option, f"{text!r}: give an amount in {currency.code}, e.g. {_example(currency)}")
    return parts[0]


def _decimals(currency: Currency) -> str:
    if currency.scale == 0:
        return "no decimals"
    return f"at most {currency.scale} decimal{'s' if currency.scale > 1 else ''}"


def _example(currency: Currency) -> str:
    return f"{Decimal(1250).scaleb(-currency.scale) * 100:.{currency.scale}f}"


def _refuse(option: str, reason: str) -> NoReturn:
    err.print(f"[red]invalid amount for {option}[/red]: {reason}")
    raise typer.Exit(2)


def _refuse_json(option: str, reason: str) -> NoReturn:
    err.print(f"[red]{option}[/red]: {reason}")
    raise typer.Exit(2)
