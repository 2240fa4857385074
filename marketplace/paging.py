"""Query parameters of a list endpoint's page: how many items (at most ``page_size_max``) and
from which position. Sub-collections (an asset's revisions, an order's periods) default to a
whole page of ``page_size_max`` so that a short list still comes in one answer. And what every
id in a path must be written as (``ID_DIGITS``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

from marketplace import limits
from marketplace.digits import ascii_digits

PageLimit = Annotated[
    int, Query(ge=1, le=limits.page_size_max, description="items in this page, at most 500")
]
PageOffset = Annotated[int, Query(ge=0, le=limits.id_max, description="items to skip")]


def _digits_only(value: Any) -> Any:
    if isinstance(value, str) and not ascii_digits(value):
        raise ValueError("an id is written in ASCII digits only")
    return value


# Before an id in a path is read as an integer: "1.0", " 1" or "²" would be read as 1, or be
# refused by int() with a 500 (docs/api.md: ids in paths are positive 64-bit integers).
ID_DIGITS = BeforeValidator(_digits_only)
