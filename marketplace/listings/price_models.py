"""Price models, in integer minor units of the exchange's currency: fixed one-off, subscription
per period, usage-metered with a cap, tiered volume discounts, negotiable (quote only), and the
public-data mode (cost plus a bounded margin: the price may not exceed the ceiling).

Every amount is 1 ≤ amount ≤ 2**63-1 (``limits.amount_minor_max``) and a JSON integer (strict: no
strings, no booleans); anything else is a 422 naming the field. ``headline_minor`` is the price
shown and filtered on; ``describe`` says the price in plain words.

Pure: no database, no clock.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from marketplace import limits
from marketplace.money import Currency

AmountMinor = Annotated[int, Field(strict=True, ge=1, le=limits.amount_minor_max)]
Unit = Literal["row", "api_call"]
#: A metered price may also count ``download``s: the downloads the exchange serves under the
#: licence, which it counts itself (rows and API calls are served outside it; the supplier
#: reports them).
MeteredUnit = Literal["row", "api_call", "download"]
Period = Literal["month", "quarter", "year"]
BP_PER_UNIT: Final = 10_000  # basis points in 100 %

UNIT_WORDS: Final[dict[str, tuple[str, str]]] = {
    "row": ("row", "rows"),
    "api_call": ("API call", "API calls"),
    "download": ("download", "downloads"),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fixed(_Model):
    """One payment for the licence."""

    kind: Literal["fixed"] = "fixed"
    amount_minor: AmountMinor


class Subscription(_Model):
    """A payment per period; renewal is off unless the supplier turns it on."""

    kind: Literal["subscription"] = "subscription"
    amount_minor: AmountMinor
    period: Period
    auto_renew: bool = False


class Metered(_Model):
    """A price per row, API call or download, charged month by month: never more than the cap
    in any one month (the cap is per period, not for the whole licence)."""

    kind: Literal["metered"] = "metered"
    unit: MeteredUnit
    unit_price_minor: AmountMinor
    cap_minor: AmountMinor

    @model_validator(mode="after")
    def _cap(self) -> Self:
        if self.cap_minor < self.unit_price_minor:
            raise ValueError("cap_minor must be at least one unit's price (unit_price_minor)")
        return self


class Tier(_Model):
    from_units: int = Field(strict=True, ge=0, le=limits.amount_minor_max)
    unit_price_minor: AmountMinor


class Tiered(_Model):
    """Volume discounts: each unit is priced by the tier its position falls in. The first tier
    starts at unit 0; each next tier starts later and costs no more per unit."""

    kind: Literal["tiered"] = "tiered"
    unit: Unit
    tiers: list[Tier] = Field(min_length=1, max_length=limits.listing_tiers_max)

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        if self.tiers[0].from_units != 0:
            raise ValueError("the first tier starts at from_units 0")
        for before, after in zip(self.tiers, self.tiers[1:], strict=False):
            if after.from_units <= before.from_units:
                raise ValueError("tiers must be in ascending order of from_units, each once")
            if after.unit_price_minor > before.unit_price_minor:
                raise ValueError(
                    "a later tier may not cost more per unit than an earlier one (volume discount)"
                )
        return self


class Negotiable(_Model):
    """No price shown: buyers ask for a quote."""

    kind: Literal["negotiable"] = "negotiable"


class PublicData(_Model):
    """Public data under the national pricing guidance: cost plus a reasonable margin. The price
    may not exceed the ceiling, cost * (1 + margin_bp / 10,000), rounded down."""

    kind: Literal["public_data"] = "public_data"
    cost_minor: AmountMinor
    margin_bp: int = Field(strict=True, ge=0, le=limits.listing_margin_bp_max)
    price_minor: AmountMinor

    @property
    def ceiling_minor(self) -> int:
        return ceiling_minor(self.cost_minor, self.margin_bp)

    @model_validator(mode="after")
    def _under_ceiling(self) -> Self:
        if self.price_minor > self.ceiling_minor:
            raise ValueError(
                f"price_minor {self.price_minor} exceeds the public-data ceiling "
                f"{self.ceiling_minor} (cost_minor plus margin_bp)"
            )
        return self


PriceModel = Annotated[
    Fixed | Subscription | Metered | Tiered | Negotiable | PublicData,
    Field(discriminator="kind"),
]
PriceKind = Literal["fixed", "subscription", "metered", "tiered", "negotiable", "public_data"]
PRICE_MODEL: Final[TypeAdapter[PriceModel]] = TypeAdapter(PriceModel)


def parse(document: object) -> PriceModel:
    """A price model from its JSON form (as stored); raises pydantic's ValidationError."""
    return PRICE_MODEL.validate_python(document)


def ceiling_minor(cost_minor: int, margin_bp: int) -> int:
    """cost * (1 + margin), rounded down, never beyond the 64-bit bound."""
    return min(cost_minor + cost_minor * margin_bp // BP_PER_UNIT, limits.amount_minor_max)


def headline_minor(model: PriceModel) -> int | None:
    """The price shown first and filtered on: the one-off amount, the amount per period, the
    (first tier's) unit price, the public-data price; None for a negotiable price."""
    match model:
        case Fixed() | Subscription():
            return model.amount_minor
        case Metered():
            return model.unit_price_minor
        case Tiered():
            return model.tiers[0].unit_price_minor
        case PublicData():
            return model.price_minor
        case Negotiable():
            return None


def _units(unit: str, count: int) -> str:
    one, many = UNIT_WORDS[unit]
    return f"{count:,} {one if count == 1 else many}"


def describe(model: PriceModel, currency: Currency) -> str:
    """The price in plain words: ``12.50 CNY, paid once``."""
    money = currency.format
    match model:
        case Fixed():
            return f"{money(model.amount_minor)}, paid once"
        case Subscription():
            renew = "renews automatically" if model.auto_renew else "does not renew automatically"
            return f"{money(model.amount_minor)} per {model.period}; {renew}"
        case Metered():
            one, _ = UNIT_WORDS[model.unit]
            return (
                f"{money(model.unit_price_minor)} per {one}, "
                f"at most {money(model.cap_minor)} per month"
            )
        case Tiered():
            one, _ = UNIT_WORDS[model.unit]
            steps = [
                f"{money(t.unit_price_minor)} per {one}"
                + ("" if t.from_units == 0 else f" from {_units(model.unit, t.from_units)} on")
                for t in model.tiers
            ]
            return "; ".join(steps)
        case Negotiable():
            return "Price on request: ask the supplier for a quote"
        case PublicData():
            margin = f"{model.margin_bp / 100:.2f} %"
            return (
                f"{money(model.price_minor)}, paid once (public data: cost "
                f"{money(model.cost_minor)} plus at most {margin}; ceiling "
                f"{money(model.ceiling_minor)})"
            )


def journal_form(model: PriceModel) -> dict[str, object]:
    """The model as a journal payload holds it: amounts as decimal strings (canonical JSON
    holds integers only up to 2**53)."""
    document = model.model_dump(mode="json")

    def strings(value: object, key: str = "") -> object:
        if isinstance(value, dict):
            return {k: strings(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [strings(v, key) for v in value]
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and key.endswith(("_minor", "_units"))
        ):
            return str(value)
        return value

    out = strings(document)
    assert isinstance(out, dict)
    return out


__all__ = [
    "PRICE_MODEL",
    "AmountMinor",
    "Fixed",
    "Metered",
    "Negotiable",
    "Period",
    "PriceKind",
    "PriceModel",
    "PublicData",
    "Subscription",
    "Tier",
    "Tiered",
    "Unit",
    "ceiling_minor",
    "describe",
    "headline_minor",
    "journal_form",
    "parse",
]
