"""Auction rules: opening and cancelling, sealed bids (commit, reveal), resolution, the winner's
own order (``winning``) and reads.
Never commits; the caller's unit of work does."""

from marketplace.auctions.service.bidding import commit, reveal
from marketplace.auctions.service.opening import (
    COMMITMENT_SCHEME,
    cancel,
    open_auction,
    refuse_if_under_way,
)
from marketplace.auctions.service.reading import for_listing, get, my_bid
from marketplace.auctions.service.resolution import resolve, resolve_if_due
from marketplace.auctions.service.winning import order_draft, place_order

__all__ = [
    "COMMITMENT_SCHEME",
    "cancel",
    "commit",
    "for_listing",
    "get",
    "my_bid",
    "open_auction",
    "order_draft",
    "place_order",
    "refuse_if_under_way",
    "resolve",
    "resolve_if_due",
    "reveal",
]
