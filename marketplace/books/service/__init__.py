"""Books rules: accounts and postings (``accounts``), escrow holds (``holds``), deposits and
withdrawals through the payment provider (``payments``), statements and the reconciliation
(``statements``). Services never commit; every posting appends its journal entry in the same
transaction.

The escrow API other domains call: ``hold``, ``release``, ``refund``, ``split`` (a dispute's
ruling), ``return_fee``, ``balance``.
"""

from marketplace.books.service.holds import (
    balance,
    get_hold,
    hold,
    refund,
    release,
    return_fee,
    split,
    visible_hold,
)

__all__ = [
    "balance",
    "get_hold",
    "hold",
    "refund",
    "release",
    "return_fee",
    "split",
    "visible_hold",
]
