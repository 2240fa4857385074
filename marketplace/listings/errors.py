"""Listing errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, NotFound, Unprocessable


class ListingNotFound(NotFound):
    code = "listing_not_found"


class ListingStateConflict(Conflict):
    """The listing lifecycle's 409: the event is not allowed in the listing's state."""

    code = "listing_state"


class AssetNotListable(Conflict):
    """The asset is not approved or listed (or is suspended, cancelled, core data)."""

    code = "asset_not_listable"


class DuplicateListing(Conflict):
    code = "duplicate_listing"


class ExclusiveConflict(Conflict):
    """An exclusive listing beside another open listing of the same asset."""

    code = "exclusive_conflict"


class TooManyListings(Conflict):
    code = "too_many_listings"


class NotListingOwner(Forbidden):
    code = "not_listing_owner"


class InvalidTerms(Unprocessable):
    code = "invalid_terms"


class NotPurchasable(Conflict):
    """The listing cannot be bought now (not active, asset suspended or delisted)."""

    code = "not_purchasable"


class SupplierSuspended(Conflict):
    """The listing's supplier is suspended by the exchange's operators."""

    code = "supplier_suspended"


class PurposeNotPermitted(Forbidden):
    """The buyer's declared purpose is not one the terms permit."""

    code = "purpose_not_permitted"
