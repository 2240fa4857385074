"""What the demand modules share: the journal subject, loading a demand as its caller may see
it, and the public shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import JournalEntry
from marketplace.matching import repository, visibility
from marketplace.matching.demand_lifecycle import DemandStatus, effective_status
from marketplace.matching.errors import DemandNotFound, NotDemandOwner
from marketplace.matching.models import Demand
from marketplace.matching.schemas import DemandPublic, RequiredField
from marketplace.principal import Principal


def subject(demand_id: int) -> str:
    return f"demand:{demand_id}"


def journal_demand(
    session: Session, kind: str, row: Demand, actor: str, **payload: Any
) -> JournalEntry:
    assert row.id is not None
    return journal.append(
        session,
        kind=kind,
        subject=subject(row.id),
        actor=actor,
        payload={"demand_id": row.id, **payload},
    )


def not_found(demand_id: int) -> DemandNotFound:
    return DemandNotFound(f"no demand {demand_id} that you may see")


def status_of(demand: Demand, now: datetime) -> DemandStatus:
    return effective_status(demand.status, demand.deadline, now)


def visible(session: Session, principal: Principal | None, demand_id: int, now: datetime) -> Demand:
    """The demand if the caller may see it (``visibility``); 404 otherwise."""
    demand = repository.get(session, demand_id)
    if demand is None or not visibility.may_see(
        principal, demand.buyer_organization_id, status_of(demand, now)
    ):
        raise not_found(demand_id)
    return demand


def owned(
    session: Session, principal: Principal, demand_id: int, now: datetime, *, lock: bool = False
) -> Demand:
    """The caller's own demand (locked when asked): 404 when the caller may not see it, 403 when
    it may see it but does not own it (an operator, a supplier answering it)."""
    demand = repository.lock(session, demand_id) if lock else repository.get(session, demand_id)
    if demand is None:
        raise not_found(demand_id)
    if not visibility.is_owner(principal, demand.buyer_organization_id):
        if visibility.may_see(principal, demand.buyer_organization_id, status_of(demand, now)):
            raise NotDemandOwner(f"demand {demand_id} belongs to another organisation")
        raise not_found(demand_id)
    return demand


def public(demand: Demand, principal: Principal | None, now: datetime) -> DemandPublic:
    assert demand.id is not None
    return DemandPublic(
        id=demand.id,
        buyer_organization_id=(
            demand.buyer_organization_id
            if visibility.sees_buyer(principal, demand.buyer_organization_id)
            else None
        ),
        title=demand.title,
        description=demand.description,
        keywords=list(demand.keywords),
        fields=[RequiredField.model_validate(f) for f in demand.required_fields],
        quality_min=demand.quality_min,
        purpose=demand.purpose,
        budget_min_minor=demand.budget_min_minor,
        budget_max_minor=demand.budget_max_minor,
        currency=demand.currency,
        deadline=demand.deadline,
        status=status_of(demand, now),
        fulfilled_by_quote_id=demand.fulfilled_by_quote_id,
        created_at=demand.created_at,
        journal_seq=demand.journal_seq,
    )
