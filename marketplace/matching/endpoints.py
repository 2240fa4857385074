"""Demand HTTP endpoints. Posting needs a verified buyer; a demand's matches are its owner's;
open demands are for verified suppliers to answer (``visibility``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity.auth import CurrentAccount, VerifiedBuyer
from marketplace.matching import service
from marketplace.matching.schemas import (
    DemandCreate,
    DemandPage,
    DemandPublic,
    MatchedDemandPage,
    MatchPage,
)
from marketplace.paging import ID_DIGITS
from marketplace.quality.service.evaluations import exchange_address

router = APIRouter(tags=["demands"])
DemandId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="demand id")]
Cursor = Annotated[str | None, Query(max_length=24, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=limits.page_size_max)]


@router.post("/demands", status_code=201, summary="Post a demand (verified buyers)")
def post_demand(
    body: DemandCreate, principal: VerifiedBuyer, session: SessionDep, runtime: RuntimeDep
) -> DemandPublic:
    """Writes ``demand.posted``; the suppliers of the best matches are notified. Demands whose
    deadline has passed are journaled ``demand.expired`` in the same transaction."""
    now = utc_now()
    service.expire_due(session, now, exchange_address(runtime.settings))
    demand = service.post(session, principal, body, currency=runtime.settings.currency, now=now)
    service.notify_suppliers(session, demand)
    assert demand.id is not None
    return service.get(session, principal, demand.id, now)


@router.get("/demands/mine", summary="Your organisation's demands, newest first")
def my_demands(
    principal: CurrentAccount,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = limits.page_size_default,
) -> DemandPage:
    return service.mine(session, principal, cursor=cursor, limit=limit, now=utc_now())


@router.get("/demands", summary="Open demands, to answer with a quote (verified suppliers)")
def open_demands(
    principal: CurrentAccount,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = limits.page_size_default,
) -> DemandPage:
    return service.open_demands(session, principal, cursor=cursor, limit=limit, now=utc_now())


@router.get(
    "/demands/matched",
    summary="Open demands your listings match, best first, explained (verified suppliers)",
)
def matched_demands(
    principal: CurrentAccount,
    session: SessionDep,
    cursor: Annotated[
        str | None, Query(max_length=32, description="next_cursor of the last page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=limits.matching_inbox_page_size_max)] = 20,
) -> MatchedDemandPage:
    """The supplier's inbox: each open demand that at least one of the organisation's own
    available listings matches, with those listings (at most
    ``matching_inbox_matches_shown_max``) and each score's explanation. One request scores the
    newest ``matching_inbox_demands_scanned_max`` open demands against the organisation's newest
    ``matching_inbox_listings_max`` active listings (docs/matching.md, "The supplier's inbox")."""
    return service.matched_demands(session, principal, cursor=cursor, limit=limit, now=utc_now())


@router.get("/demands/{demand_id}", summary="One demand, as you may see it")
def get_demand(demand_id: DemandId, principal: CurrentAccount, session: SessionDep) -> DemandPublic:
    return service.get(session, principal, demand_id, utc_now())


@router.post("/demands/{demand_id}/close", summary="Withdraw your open demand")
def close_demand(
    demand_id: DemandId, principal: CurrentAccount, session: SessionDep
) -> DemandPublic:
    return service.close(session, principal, demand_id, utc_now())


@router.get("/demands/{demand_id}/matches", summary="Your demand's ranked matches, explained")
def demand_matches(
    demand_id: DemandId,
    principal: CurrentAccount,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=limits.matching_results_max)] = 20,
) -> MatchPage:
    return service.matches(session, principal, demand_id, utc_now(), limit)
