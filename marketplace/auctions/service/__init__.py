"""Auction rules: opening and cancelling, sealed bids (commit, reveal), resolution and reads.
Never commits; the caller's unit of work does."""

from marketplace.auctions.service.bidding import commit, reveal
from marketplace.auctions.service.opening import COMMITMENT_SCHEME, cancel, open_auction
from marketplace.auctions.service.reading import for_listing, get, my_bid
from marketplace.auctions.service.resolution import resolve, resolve_if_due

__all__ = [
    "COMMITMENT_SCHEME",
    "cancel",
    "commit",
    "for_listing",
    "get",
    "my_bid",
    "open_auction",
    "resolve",
    "resolve_if_due",
    "reveal",
]
