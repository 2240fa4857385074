"""Order errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, NotFound, Unprocessable


class OrderNotFound(NotFound):
    code = "order_not_found"


class PeriodNotFound(NotFound):
    """The order (which the caller may see) has no such period: it is not periodic, or the
    period has not begun."""

    code = "period_not_found"


class OrderStateConflict(Conflict):
    """The order lifecycle's 409: the event is not allowed in the order's state."""

    code = "order_state"


class OwnListing(Forbidden):
    code = "own_listing"


class NotOrderBuyer(Forbidden):
    code = "not_order_buyer"


class QuoteOnly(Conflict):
    """A negotiable listing is bought only through an accepted quote."""

    code = "quote_only"


class ExclusiveTaken(Conflict):
    """An exclusive listing already has a live order."""

    code = "exclusive_taken"


class InvalidOrder(Unprocessable):
    code = "invalid_order"


class NotPublicData(Conflict):
    code = "not_public_data"


class RevenueForbidden(Forbidden):
    code = "revenue_forbidden"


class PurposeRefused(Unprocessable):
    """The listing's terms do not permit the purpose the buyer declared."""

    code = "purpose_not_permitted"


class PaymentOverdue(Conflict):
    """A placed order past its payment deadline: it expires and cannot be paid."""

    code = "payment_overdue"


class AwaitingApproval(Conflict):
    """An important asset's order is delivered only after an operator approves it."""

    code = "awaiting_approval"


class NoApprovalNeeded(Conflict):
    """Only orders for important data are approved or refused by an operator."""

    code = "no_approval_needed"


class QualityCheckMismatch(Unprocessable):
    """A quality check that does not fit the order: a report not the anchored one of the
    revision bought, or a signature that does not cover the check."""

    code = "quality_check_mismatch"


class QualityCheckExists(Conflict):
    code = "quality_check_exists"


class NotOrderSupplier(Forbidden):
    """Only the supplier reports the usage of a metered order."""

    code = "not_order_supplier"
