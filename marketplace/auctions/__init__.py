"""Sealed-bid (Vickrey) auctions of exclusive licences: commitments, reveals, the second-price
rule and the auction and bid lifecycles."""

from marketplace.auctions.commitment import commitment, matches, new_salt
from marketplace.auctions.vickrey import Outcome, Reveal, Rules, SealedBid, Verdict, resolve

__all__ = [
    "Outcome",
    "Reveal",
    "Rules",
    "SealedBid",
    "Verdict",
    "commitment",
    "matches",
    "new_salt",
    "resolve",
]
