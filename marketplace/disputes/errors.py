"""Dispute errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable


class DisputeNotFound(NotFound):
    """No such dispute, or one the caller may not see (a non-assigned arbitrator included)."""

    code = "dispute_not_found"


class DisputeStateConflict(Conflict):
    """The dispute lifecycle's 409: the event is not allowed in the dispute's state."""

    code = "dispute_state"


class DisputeExists(Conflict):
    """An order has one dispute; an appeal continues it."""

    code = "dispute_exists"


class DisputeWindowClosed(Conflict):
    """The order is past the window in which it may be disputed."""

    code = "dispute_window_closed"


class NotDisputeParty(Forbidden):
    code = "not_dispute_party"


class EvidenceClosed(Conflict):
    """Submissions have closed; the message names the deadline."""

    code = "evidence_closed"


class InvalidDispute(Unprocessable):
    code = "invalid_dispute"


class NoArbitrator(Conflict):
    """The pool holds no verified arbitrator free of conflicts with both parties."""

    code = "no_arbitrator"


class ProceedsWithdrawn(Conflict):
    """A settled order's proceeds are no longer in the supplier's available balance: nothing to
    claw back, so no dispute (docs/disputes.md)."""

    code = "proceeds_withdrawn"


class NotAssignedArbitrator(Forbidden):
    """The caller sees the dispute (a party, an operator, another round's arbitrator) but is not
    drawn to rule or vote in its current round."""

    code = "not_assigned_arbitrator"


class EvidenceOpen(Conflict):
    """A ruling before submissions close; the message names the time."""

    code = "evidence_open"


class AppealWindowClosed(Conflict):
    """An appeal after the appeal window; the message names the deadline."""

    code = "appeal_window_closed"


class AlreadyVoted(Conflict):
    code = "already_voted"


class DossierTooLarge(PayloadTooLarge):
    """The exported dossier would be over ``limits.dossier_bytes_max``."""

    code = "dossier_too_large"


class EvidenceAltered(Conflict):
    """An item's stored bytes are gone or no longer hash to its recorded SHA-256."""

    code = "evidence_altered"


class NothingToRedraw(Conflict):
    """No arbitrator of the dispute's round under way is of a suspended organisation and still
    to rule or vote (docs/disputes.md, "Re-drawing")."""

    code = "nothing_to_redraw"
