"""The shapes the search library takes and gives: a listing's document, a query, a page of ids."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, NamedTuple, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from marketplace import limits

# A controlled-vocabulary value (theme aside): lower-case letters, digits and underscores.
Code = Annotated[
    str, Field(min_length=1, max_length=limits.search_filter_length_max, pattern=r"^[a-z0-9_]+$")
]
# Free text as the asset's theme is, without control characters (PostgreSQL refuses NUL).
Theme = Annotated[
    str,
    Field(min_length=1, max_length=limits.search_filter_length_max, pattern=r"^[^\x00-\x1f\x7f]+$"),
]
QualityScore = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
PriceMinor = Annotated[int, Field(ge=0, le=limits.id_max)]
ListingId = Annotated[int, Field(ge=1, le=limits.id_max)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("created_at needs a time zone")
    return value


class SearchDocument(BaseModel):
    """What the catalog knows of one listing to find it: its asset's words and the values it is
    filtered and sorted on. The listings domain builds it and calls ``service.index``.

    ``visible`` is whether the listing may be found now (the listing is active and its asset is
    listed); ``service.set_asset_state`` changes it for every listing of an asset. A listing that
    stops being active (withdrawn, expired) is removed with ``service.remove``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listing_id: ListingId
    asset_id: ListingId
    title: str = Field(max_length=limits.asset_title_length_max)
    description: str = Field(default="", max_length=limits.asset_description_length_max)
    keywords: list[str] = Field(default_factory=list, max_length=limits.asset_keywords_max)
    columns: list[str] = Field(default_factory=list, max_length=limits.search_columns_max)
    theme: Theme | None = None
    classification: Code | None = None
    update_frequency: Code | None = None
    purposes: list[Code] = Field(default_factory=list, max_length=limits.search_purposes_max)
    headline_minor: PriceMinor | None = None  # None: negotiable, no price shown
    quality_score: QualityScore | None = None  # the quality report's overall score, 0 to 100
    created_at: Annotated[datetime, AfterValidator(_aware)]
    visible: bool
    under_objection: bool = False


class SearchSort(StrEnum):
    """The orders a page comes in. Ties, and listings without a price or a quality score (which
    come last), are ordered newest listing first (cheapest-first ties: oldest first)."""

    relevance = "relevance"  # best text match first; without words, as recent
    price_asc = "price_asc"  # cheapest first
    price_desc = "price_desc"
    quality = "quality"  # highest quality score first
    recent = "recent"  # newest listing first


class SearchQuery(BaseModel):
    """A catalog search: words (``q``) and filters, all of which must hold, then an order.

    ``q`` is plain words: quotes, ``*``, ``NEAR``, ``AND``/``OR``/``NOT``, parentheses, ``:``,
    ``^`` and ``-`` are not syntax. Every word must match (in the title, description, keywords or
    column names); a ``q`` without letters or digits filters nothing. ``cursor`` is the previous
    page's ``next_cursor``, valid only for the same words, filters and order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(default="", max_length=limits.search_query_length_max)
    theme: Theme | None = None
    price_min_minor: PriceMinor | None = None
    price_max_minor: PriceMinor | None = None
    quality_min: QualityScore | None = None
    purpose: Code | None = None
    classification: Code | None = None
    update_frequency: Code | None = None
    sort: SearchSort = SearchSort.relevance
    cursor: str | None = Field(default=None, max_length=limits.search_cursor_length_max)
    limit: int = Field(default=limits.page_size_default, ge=1, le=limits.page_size_max)

    @model_validator(mode="after")
    def _price_range(self) -> Self:
        low, high = self.price_min_minor, self.price_max_minor
        if low is not None and high is not None and low > high:
            raise ValueError("price_min_minor is above price_max_minor")
        return self


class SearchPage(BaseModel):
    """Listing ids in the order asked, and the cursor of the next page (None on the last)."""

    ids: list[int]
    next_cursor: str | None


class Candidate(NamedTuple):
    """A listing whose words match some of a demand's, and how well: the share of the demand's
    words it holds, a word found only in the description counting half (0 to 1)."""

    listing_id: int
    relevance: float
