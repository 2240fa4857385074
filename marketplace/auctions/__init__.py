"""Sealed-bid (Vickrey) auctions of exclusive licences: commitments, reveals, the second-price
rule and the auction and bid lifecycles. The commitment itself is
``marketplace.auctions.commitment.commitment``."""

from marketplace.auctions.commitment import matches, new_salt
from marketplace.auctions.vickrey import Outcome, Reveal, Rules, SealedBid, Verdict, resolve

__all__ = [
    "Outcome",
    "Reveal",
    "Rules",
    "SealedBid",
    "Verdict",
    "matches",
    "new_salt",
    "resolve",
]
