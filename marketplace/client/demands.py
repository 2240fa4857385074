"""``bourse.demands``: a buyer's demands (需求): post one, list yours, read one, close it, and
read its ranked matches; suppliers list the open demands they may answer, and those their own
listings match (their inbox)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.matching.schemas import (
        DemandPage,
        DemandPublic,
        MatchedDemandPage,
        MatchPage,
    )


class Demands:
    def __init__(self, session: Session) -> None:
        self._session = session

    def post(
        self,
        *,
        title: str,
        purpose: str,
        budget_min_minor: int,
        budget_max_minor: int,
        deadline: datetime | str,
        description: str = "",
        keywords: Sequence[str] = (),
        fields: Sequence[Mapping[str, str]] = (),
        quality_min: float | None = None,
    ) -> DemandPublic:
        """Post a demand (a verified buyer). ``fields`` are ``{"name", "type"}`` (Table Schema
        types; ``type`` may be left out); ``deadline`` must lie ahead, with a time zone."""
        from marketplace.matching.schemas import DemandPublic

        body: dict[str, Any] = {
            "title": title,
            "description": description,
            "keywords": list(keywords),
            "fields": [dict(f) for f in fields],
            "purpose": purpose,
            "budget_min_minor": budget_min_minor,
            "budget_max_minor": budget_max_minor,
            "deadline": deadline.isoformat() if isinstance(deadline, datetime) else deadline,
        }
        if quality_min is not None:
            body["quality_min"] = quality_min
        return self._session.call(DemandPublic, "POST", "/demands", json=body)

    def get(self, demand_id: int) -> DemandPublic:
        from marketplace.matching.schemas import DemandPublic

        return self._session.call(DemandPublic, "GET", f"/demands/{demand_id}")

    def mine(self, *, cursor: str | None = None, limit: int | None = None) -> DemandPage:
        """Your organisation's demands, newest first, a page at a time."""
        from marketplace.matching.schemas import DemandPage

        return self._session.call(DemandPage, "GET", "/demands/mine", params=_page(cursor, limit))

    def open_demands(self, *, cursor: str | None = None, limit: int | None = None) -> DemandPage:
        """Open demands to answer with a quote (verified suppliers)."""
        from marketplace.matching.schemas import DemandPage

        return self._session.call(DemandPage, "GET", "/demands", params=_page(cursor, limit))

    def matched(self, *, cursor: str | None = None, limit: int | None = None) -> MatchedDemandPage:
        """The open demands your organisation's listings match, best first, each with the
        listings that match and why (verified suppliers); pass ``next_cursor`` for the next page."""
        from marketplace.matching.schemas import MatchedDemandPage

        return self._session.call(
            MatchedDemandPage, "GET", "/demands/matched", params=_page(cursor, limit)
        )

    def close(self, demand_id: int) -> DemandPublic:
        from marketplace.matching.schemas import DemandPublic

        return self._session.call(DemandPublic, "POST", f"/demands/{demand_id}/close")

    def matches(self, demand_id: int, *, limit: int | None = None) -> MatchPage:
        """The demand's ranked matches, each with its explanation (the demand's owner)."""
        from marketplace.matching.schemas import MatchPage

        params = {} if limit is None else {"limit": limit}
        return self._session.call(MatchPage, "GET", f"/demands/{demand_id}/matches", params=params)


def _page(cursor: str | None, limit: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if cursor is not None:
        params["cursor"] = cursor
    if limit is not None:
        params["limit"] = limit
    return params
