"""Query parameters of a list endpoint's page: how many items (at most ``page_size_max``) and
from which position. Sub-collections (an asset's revisions, an order's periods) default to a
whole page of ``page_size_max`` so that a short list still comes in one answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from marketplace import limits

PageLimit = Annotated[
    int, Query(ge=1, le=limits.page_size_max, description="items in this page, at most 500")
]
PageOffset = Annotated[int, Query(ge=0, le=limits.id_max, description="items to skip")]
