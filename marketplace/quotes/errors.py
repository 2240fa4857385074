"""Quote errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, NotFound, Unprocessable


class QuoteNotFound(NotFound):
    code = "quote_not_found"


class QuoteStateConflict(Conflict):
    """The lifecycle's 409: the event is not allowed in the quote's state."""

    code = "quote_state"


class QuoteExpired(Conflict):
    code = "quote_expired"


class DemandNotOpen(Conflict):
    code = "demand_not_open"


class DemandAlreadyAwarded(Conflict):
    code = "demand_already_awarded"


class NotYourListing(Forbidden):
    code = "not_your_listing"


class OwnDemand(Forbidden):
    code = "own_demand"


class NotDemandOwner(Forbidden):
    code = "not_demand_owner"


class NotQuoteSupplier(Forbidden):
    code = "not_quote_supplier"


class TermsNotNarrower(Unprocessable):
    code = "terms_not_narrower"


class InvalidValidity(Unprocessable):
    code = "invalid_validity"


class QuoteSignatureInvalid(Unprocessable):
    code = "quote_signature_invalid"


class TooManyQuotes(Conflict):
    code = "too_many_quotes"
