"""API shapes for demands and matches. Requests refuse unknown fields."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from marketplace import limits
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Purpose
from marketplace.matching import fields as field_names
from marketplace.matching.demand_lifecycle import DemandStatus
from marketplace.matching.scoring import Explanation
from marketplace.quality.table_schema import FieldType

AmountMinor = Annotated[int, Field(strict=True, ge=1, le=limits.amount_minor_max)]
Keyword = Annotated[str, Field(min_length=1, max_length=limits.demand_keyword_length_max)]


def _printable(value: str, what: str) -> str:
    value = value.strip()
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in value if ch != "\n"):
        raise ValueError(f"the {what} holds control or invisible characters")
    return value


class RequiredField(BaseModel):
    """A column the buyer needs: a name and a Frictionless Table Schema type (``any`` when the
    type does not matter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=limits.demand_field_name_length_max)
    type: FieldType = "any"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = _printable(value, "field name")
        if not field_names.normalise(value):
            raise ValueError("a field name needs a letter or a digit")
        return value


class DemandCreate(BaseModel):
    """What a buyer asks for. The deadline must lie ahead, at most a year away."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=limits.demand_title_length_max)
    description: str = Field(default="", max_length=limits.demand_description_length_max)
    keywords: list[Keyword] = Field(default_factory=list, max_length=limits.demand_keywords_max)
    fields: list[RequiredField] = Field(default_factory=list, max_length=limits.demand_fields_max)
    quality_min: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    purpose: Purpose
    budget_min_minor: AmountMinor
    budget_max_minor: AmountMinor
    deadline: AwareDatetime

    @field_validator("title", "description")
    @classmethod
    def _text(cls, value: str) -> str:
        return _printable(value, "text")

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [_printable(k, "keyword") for k in value]
        if any(not k for k in cleaned):
            raise ValueError("a keyword may not be blank")
        return list(dict.fromkeys(cleaned))

    @field_validator("fields")
    @classmethod
    def _distinct(cls, value: list[RequiredField]) -> list[RequiredField]:
        seen: set[str] = set()
        for f in value:
            key = field_names.normalise(f.name)
            if key in seen:
                raise ValueError(f"the field {f.name!r} is required twice")
            seen.add(key)
        return value

    @model_validator(mode="after")
    def _budget(self) -> DemandCreate:
        if not self.title.strip():
            raise ValueError("title may not be blank")
        if self.budget_min_minor > self.budget_max_minor:
            raise ValueError(
                f"budget_min_minor ({self.budget_min_minor}) exceeds budget_max_minor "
                f"({self.budget_max_minor})"
            )
        return self


class DemandPublic(BaseModel):
    """A demand as its reader may see it. ``buyer_organization_id`` is shown to the buyer and
    operators only: suppliers answer what is asked, through the exchange, without learning who
    asks until an order is placed."""

    id: int
    buyer_organization_id: int | None
    title: str
    description: str
    keywords: list[str]
    fields: list[RequiredField]
    quality_min: float | None
    purpose: Purpose
    budget_min_minor: int
    budget_max_minor: int
    currency: str
    deadline: datetime
    status: DemandStatus  # an open demand past its deadline reads expired
    fulfilled_by_quote_id: int | None
    created_at: datetime
    journal_seq: int


class DemandPage(BaseModel):
    items: list[DemandPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class MatchPublic(BaseModel):
    """One listing matched to a demand: its score (0..1), why, and the listing itself."""

    listing_id: int
    score: float
    explanation: Explanation
    listing: ListingPublic


class MatchPage(BaseModel):
    demand_id: int
    status: DemandStatus
    candidates_scored: int  # listings sharing a word or a field with the demand, scored
    matches: list[MatchPublic]


class MatchedDemand(BaseModel):
    """An open demand that one or more of the supplier's own listings match: the best score
    among them, and those listings, best first, each with its explanation."""

    demand: DemandPublic
    score: float
    matches: list[MatchPublic]


class MatchedDemandPage(BaseModel):
    """A page of the supplier's inbox, best match first (ties: the newer demand first)."""

    items: list[MatchedDemand]
    demands_scanned: int  # the newest open demands scored (matching_inbox_demands_scanned_max)
    listings_scored: int  # the organisation's available listings scored against each
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


def demand_document(body: DemandCreate) -> dict[str, Any]:
    """What ``demand.posted`` records of the demand (no personal data)."""
    return body.model_dump(mode="json")


__all__ = [
    "DemandCreate",
    "DemandPage",
    "DemandPublic",
    "MatchPage",
    "MatchPublic",
    "MatchedDemand",
    "MatchedDemandPage",
    "RequiredField",
]
