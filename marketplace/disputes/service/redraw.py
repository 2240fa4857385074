"""Re-drawing an arbitrator whose organisation is suspended (docs/disputes.md, "Re-drawing").

A suspended organisation's accounts may not act, so its arbitrators can neither rule nor vote:
their disputes would stall with the parties' money frozen. So when an operator suspends an
organisation (``identity.suspension_hooks``), in the same transaction:

1. under the organisation's row lock, before the journal head (docs/architecture.md, "Lock
   order"), every dispute in which one of its arbitrators is drawn for the round under way and
   has not ruled or voted yet is locked, by id;
2. once ``organization.suspended`` is written, each such arbitrator is replaced by a new draw
   (``draw.replace``: ``arbitrator.drawn`` again, with ``replaces`` and ``cause``), re-checked
   under the dispute's lock: a ruling that committed first stands and nothing is re-drawn.

A dispute whose pool is empty keeps its arbitrator and waits: for the organisation's
reinstatement, or for an operator's ``POST /disputes/{id}/redraw`` once another arbitrator is
eligible."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from marketplace.disputes import repository
from marketplace.disputes.errors import NoArbitrator, NothingToRedraw
from marketplace.disputes.lifecycle import DisputeStatus
from marketplace.disputes.models import Assignment, Dispute
from marketplace.disputes.schemas import DisputeView
from marketplace.disputes.service import draw
from marketplace.disputes.service.access import visible_dispute
from marketplace.disputes.service.views import dispute_view, exchange_address
from marketplace.identity import service as identity
from marketplace.principal import Principal
from marketplace.settings import Settings

log = logging.getLogger(__name__)


def on_suspension(
    session: Session, settings: Settings, organization_id: int
) -> Callable[[datetime], None]:
    """Step 1 (module docstring): lock the organisation's arbitrators' pending disputes; returns
    step 2, to run once the suspension is journaled."""
    locked = [
        repository.get(session, dispute_id, lock=True)
        for dispute_id in repository.pending_of_organization(session, organization_id)
    ]

    def redraw(now: datetime) -> None:
        for dispute in locked:
            assert dispute is not None
            try:
                _replace_suspended(session, settings, dispute, now=now)
            except NoArbitrator as exc:  # nothing was written for it: it waits (docstring)
                log.warning("dispute %s keeps its suspended arbitrator: %s", dispute.id, exc)

    return redraw


def redraw(
    session: Session, settings: Settings, operator: Principal, dispute_id: int, *, now: datetime
) -> DisputeView:
    """``POST /disputes/{id}/redraw`` (operators): replace each arbitrator of the round under
    way whose organisation is suspended and who has not ruled or voted. 409
    ``nothing_to_redraw`` when there is none, ``no_arbitrator`` when the pool is still empty
    (nothing written either way)."""
    assert operator.verified
    dispute = visible_dispute(session, operator, dispute_id, lock=True)
    if not _replace_suspended(session, settings, dispute, now=now):
        raise NothingToRedraw(
            f"no arbitrator of dispute {dispute_id} awaits a re-draw: none drawn for its round "
            "under way is of a suspended organisation, or each has ruled or voted"
        )
    return dispute_view(session, dispute, contents=False)


def _replace_suspended(
    session: Session, settings: Settings, dispute: Dispute, *, now: datetime
) -> list[Assignment]:
    """Under the dispute's lock: the new assignments, one for each pending arbitrator of a
    suspended organisation."""
    stale = _pending(session, dispute)
    suspended = identity.suspended_among(session, [a.organization_id for a in stale])
    actor = exchange_address(settings)
    return [
        draw.replace(session, settings, dispute, a, actor=actor, now=now)
        for a in stale
        if a.organization_id in suspended
    ]


def _pending(session: Session, dispute: Dispute) -> list[Assignment]:
    """The dispute's arbitrators drawn for the round under way who have not ruled or voted."""
    assert dispute.id is not None
    if dispute.status not in (DisputeStatus.open, DisputeStatus.appealed):
        return []
    done = {r.account_id for r in repository.rulings(session, dispute.id, dispute.round)}
    return [
        a
        for a in repository.assignments(session, dispute.id)
        if a.round == dispute.round and a.replaced_seq is None and a.account_id not in done
    ]
