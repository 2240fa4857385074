"""Auction errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, NotFound, Unprocessable


class AuctionNotFound(NotFound):
    code = "auction_not_found"


class AuctionStateConflict(Conflict):
    """The auction lifecycle's 409: the event is not allowed in the auction's state."""

    code = "auction_state"


class BidStateConflict(Conflict):
    """The bid lifecycle's 409: the event is not allowed in the bid's state."""

    code = "bid_state"


class AlreadyCommitted(Conflict):
    code = "already_committed"


class NotYetDue(Conflict):
    """A time-driven step asked for before its time (resolving before the reveal deadline)."""

    code = "not_yet_due"


class OwnAuction(Forbidden):
    code = "own_auction"


class NotYourAuction(Forbidden):
    code = "not_your_auction"


class NoBid(NotFound):
    code = "bid_not_found"


class RevealMismatch(Unprocessable):
    code = "reveal_mismatch"


class ListingNotAuctionable(Unprocessable):
    code = "listing_not_auctionable"


class BadDeadlines(Unprocessable):
    code = "bad_deadlines"


class AuctionUnderWay(Conflict):
    """A listing under auction is sold by the auction, not bought outright meanwhile."""

    code = "auction_under_way"


class ExclusiveHeld(Conflict):
    """An exclusive listing a placed order holds cannot be auctioned."""

    code = "exclusive_taken"


class NotWinner(Forbidden):
    code = "not_winner"
