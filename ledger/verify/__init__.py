"""Verifiers.

``verify_receipt`` checks one receipt using only the receipt and a chain: the entry's hash, its
inclusion proof, its signer where the entry holds what was signed (``signer.py``), and that the
root is anchored for that batch on that chain's contract (``receipt.py``).

``verify_journal`` re-derives the whole hash chain from the database, recomputes every batch
root from its entries, checks each root against the chain, and names the first bad seq
(``report.py`` runs the walk over entries and batches in ``walk.py`` and reports).
"""

from ledger.verify.receipt import (
    Receipt,
    ReceiptInvalid,
    check_pin,
    check_receipt_offline,
    parse_receipt,
    verify_receipt,
)
from ledger.verify.report import JournalReport, verify_journal

__all__ = [
    "JournalReport",
    "Receipt",
    "ReceiptInvalid",
    "check_pin",
    "check_receipt_offline",
    "parse_receipt",
    "verify_journal",
    "verify_receipt",
]
