"""Posting, reading, closing, fulfilling and expiring demands. Every change goes through the
demand lifecycle and writes its journal entry in the caller's transaction.

The journal holds what was asked (title, keywords, fields, quality, purpose, budget, deadline)
and its SHA-256, never who the posting account is beyond its address as the actor.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlmodel import Session

from ledger.canonical import canonical_json
from ledger.models import utc_now
from marketplace import limits
from marketplace.digits import whole_number
from marketplace.matching import demand_lifecycle as lifecycle
from marketplace.matching import repository
from marketplace.matching.demand_lifecycle import DemandEvent, DemandStatus
from marketplace.matching.errors import DemandStateConflict, InvalidDemand
from marketplace.matching.models import Demand
from marketplace.matching.schemas import DemandCreate, DemandPage, DemandPublic
from marketplace.matching.service._common import (
    journal_demand,
    not_found,
    owned,
    public,
    status_of,
    visible,
)
from marketplace.principal import OrgRole, Principal, check_verified


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise InvalidDemand(f"the deadline {deadline.isoformat()} has passed; give a future one")
    if deadline > now + timedelta(seconds=limits.demand_deadline_s_max):
        days = limits.demand_deadline_s_max // 86400
        raise InvalidDemand(f"the deadline may lie at most {days} days ahead")


def post(
    session: Session, principal: Principal, body: DemandCreate, *, currency: str, now: datetime
) -> Demand:
    """A verified buyer posts a demand: it starts open and journals ``demand.posted``."""
    check_verified(principal, OrgRole.buyer)
    _check_deadline(body.deadline, now)
    assert principal.organization.id is not None
    document = body.model_dump(mode="json")
    # The journal's canonical JSON takes no floats: the minimum quality is recorded as text.
    document["quality_min"] = None if body.quality_min is None else repr(body.quality_min)
    demand = repository.add(
        session,
        Demand(
            buyer_organization_id=principal.organization.id,
            posted_by=principal.account_id,
            poster_address=principal.address,
            title=body.title,
            description=body.description,
            keywords=body.keywords,
            required_fields=[f.model_dump() for f in body.fields],
            quality_min=body.quality_min,
            purpose=body.purpose.value,
            budget_min_minor=body.budget_min_minor,
            budget_max_minor=body.budget_max_minor,
            currency=currency,
            deadline=body.deadline,
            status=lifecycle.INITIAL,
            journal_seq=0,
            created_at=now,
            updated_at=now,
        ),
    )
    entry = journal_demand(
        session,
        lifecycle.POSTED_KIND,
        demand,
        principal.address,
        # Its hash only: the public journal shows neither the buyer nor the budget.
        demand_sha256=hashlib.sha256(canonical_json(document)).hexdigest(),
    )
    demand.journal_seq = entry.seq
    repository.save(session, demand)
    return demand


def get(
    session: Session, principal: Principal | None, demand_id: int, now: datetime
) -> DemandPublic:
    return public(visible(session, principal, demand_id, now), principal, now)


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    before_id = whole_number(cursor)
    if before_id is None or not 1 <= before_id <= limits.id_max:
        raise InvalidDemand("invalid cursor: pass the next_cursor of the previous page")
    return before_id


def _page(rows: list[Demand], principal: Principal, limit: int, now: datetime) -> DemandPage:
    last = rows[-1].id if len(rows) == limit and rows else None
    return DemandPage(
        items=[public(d, principal, now) for d in rows],
        next_cursor=None if last is None else str(last),
    )


def mine(
    session: Session, principal: Principal, *, cursor: str | None, limit: int, now: datetime
) -> DemandPage:
    """The caller's organisation's demands, every state, newest first."""
    assert principal.organization.id is not None
    rows = repository.of_organization(
        session, principal.organization.id, before_id=_cursor(cursor), limit=limit
    )
    return _page(list(rows), principal, limit, now)


def open_demands(
    session: Session, principal: Principal, *, cursor: str | None, limit: int, now: datetime
) -> DemandPage:
    """Open demands, for verified suppliers to answer (and operators), newest first."""
    if OrgRole.operator.value not in principal.roles:
        check_verified(principal, OrgRole.supplier)
    rows = repository.open_demands(session, now, before_id=_cursor(cursor), limit=limit)
    return _page(list(rows), principal, limit, now)


def _refuse_if_expired(demand: Demand, event: DemandEvent, now: datetime) -> None:
    if status_of(demand, now) == DemandStatus.expired:
        raise DemandStateConflict(lifecycle.refusal(DemandStatus.expired, event))


def close(session: Session, principal: Principal, demand_id: int, now: datetime) -> DemandPublic:
    """The buyer withdraws its open demand: ``demand.closed``."""
    demand = owned(session, principal, demand_id, now, lock=True)
    _refuse_if_expired(demand, DemandEvent.close, now)
    transition = lifecycle.apply(demand, DemandEvent.close)
    demand.updated_at = now
    repository.save(session, demand)
    journal_demand(session, transition.kind, demand, principal.address)
    return public(demand, principal, now)


def fulfil(
    session: Session, demand_id: int, quote_id: int, *, now: datetime | None = None
) -> DemandPublic:
    """The buyer accepted quote ``quote_id``: the demand is fulfilled (``demand.fulfilled``, by
    the buyer's posting address). Called by the quotes domain in the transaction that accepts the
    quote; 404 if there is no such demand, 409 unless it is open."""
    moment = now or utc_now()
    demand = repository.lock(session, demand_id)
    if demand is None:
        raise not_found(demand_id)
    _refuse_if_expired(demand, DemandEvent.fulfil, moment)
    transition = lifecycle.apply(demand, DemandEvent.fulfil)
    demand.fulfilled_by_quote_id = quote_id
    demand.updated_at = moment
    repository.save(session, demand)
    journal_demand(session, transition.kind, demand, demand.poster_address, quote_id=quote_id)
    return public(demand, None, moment)


def lock_to_award(session: Session, demand_id: int) -> None:
    """Lock the demand's row for update, first thing when one of its quotes is accepted (before
    its offered quotes, the listing and the journal head: docs/architecture.md, "Lock order"):
    a quote being sent (which share-locks the demand) either commits before the acceptance
    reads the demand's offered quotes, and is rejected with them, or waits and finds the
    demand fulfilled. 404 if there is no such demand; ``fulfil`` checks its state."""
    if repository.lock(session, demand_id) is None:
        raise not_found(demand_id)


def _quotable(demand: Demand | None, demand_id: int, now: datetime) -> DemandPublic:
    if demand is None:
        raise not_found(demand_id)
    state = status_of(demand, now)
    if state != DemandStatus.open:
        raise DemandStateConflict(f"demand {demand_id} is {state}; only an open demand is quoted")
    shown = public(demand, None, now)
    return shown.model_copy(update={"buyer_organization_id": demand.buyer_organization_id})


def open_for_quote(session: Session, demand_id: int, now: datetime) -> DemandPublic:
    """The demand a quote answers, with its buyer: 404 if there is none, 409 unless it is open.
    For the quotes domain, which checks who may quote (a draft, which writes nothing)."""
    return _quotable(repository.get(session, demand_id), demand_id, now)


def held_open_for_quote(session: Session, demand_id: int, now: datetime) -> DemandPublic:
    """``open_for_quote``, the demand share-locked until the transaction ends and its state read
    under the lock: a quote being sent holds the demand open, so that closing, fulfilling or
    expiring it (each locks the row for update) waits for the quote to commit, and a quote sent
    while one of those holds the row waits, then finds the demand no longer open (409). Taken
    before the journal head (docs/architecture.md, "Lock order")."""
    return _quotable(repository.share_lock(session, demand_id), demand_id, now)


def expire_due(session: Session, now: datetime, actor: str) -> list[int]:
    """Journal ``demand.expired`` for open demands whose deadline has passed (at most
    ``limits.demand_expired_swept_max``); ``actor`` is the exchange's address. Returns their
    ids."""
    expired: list[int] = []
    for demand in repository.due(session, now, limits.demand_expired_swept_max):
        transition = lifecycle.apply(demand, DemandEvent.expire)
        demand.updated_at = now
        repository.save(session, demand)
        journal_demand(
            session, transition.kind, demand, actor, deadline=demand.deadline.isoformat()
        )
        assert demand.id is not None
        expired.append(demand.id)
    return expired
