"""Books: double-entry accounts, immutable transfers, two-phase escrow holds (``lifecycle.py``),
deposits and withdrawals through a payment provider, statements and the reconciliation."""

from marketplace.books.lifecycle import HoldEvent, HoldStatus

__all__ = ["HoldEvent", "HoldStatus"]
