"""Who sees a dispute: members of its buyer's and supplier's organisations, the arbitrators drawn
for it (in any round) and operators. To anyone else, a non-assigned arbitrator included, it does
not exist (404, worded as for a missing one)."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.disputes import repository
from marketplace.disputes.errors import DisputeNotFound
from marketplace.disputes.models import Dispute, Side
from marketplace.principal import OrgRole, Principal


def side_of(dispute: Dispute, principal: Principal) -> Side | None:
    """The caller's side in the dispute, or None when its organisation is neither party."""
    org = principal.account.organization_id
    if org == dispute.buyer_organization_id:
        return Side.buyer
    if org == dispute.supplier_organization_id:
        return Side.supplier
    return None


def is_assigned(session: Session, dispute: Dispute, principal: Principal) -> bool:
    assert dispute.id is not None
    return principal.verified and repository.assigned(session, dispute.id, principal.account_id)


def visible_dispute(
    session: Session, principal: Principal, dispute_id: int, *, lock: bool = False
) -> Dispute:
    """The dispute, if the caller is a party, an arbitrator drawn for it, or an operator; 404
    otherwise."""
    found = repository.get(session, dispute_id, lock=lock)
    if found is not None and (
        side_of(found, principal) is not None
        or is_assigned(session, found, principal)
        or (principal.verified and OrgRole.operator.value in principal.roles)
    ):
        return found
    raise DisputeNotFound(f"no dispute {dispute_id}")


def readable_dispute(session: Session, principal: Principal, dispute_id: int) -> Dispute:
    """The dispute, if the caller may read its contents (evidence bytes, statements, the
    dossier): its parties and the arbitrators drawn for it. Operators see a dispute's metadata
    only (``visible_dispute``): evidence may hold trade secrets and personal data the exchange's
    staff have no need to read. 404 to anyone else."""
    found = visible_dispute(session, principal, dispute_id)
    if not reads_contents(session, found, principal):
        raise DisputeNotFound(f"no dispute {dispute_id} whose contents you may read")
    return found


def reads_contents(session: Session, dispute: Dispute, principal: Principal) -> bool:
    """Whether the caller may read the dispute's contents: a party or a drawn arbitrator."""
    return side_of(dispute, principal) is not None or is_assigned(session, dispute, principal)
