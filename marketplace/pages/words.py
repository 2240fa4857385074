"""Words for the codes many pages show: a status (``under_review``, ``no_sale``) as a reader
reads it, in the language being rendered. The ``status`` badge macro (``macros.html``) uses
``status_label`` through the filter of the same name; the badge keeps the code in its class.

Each label is a catalogue string in the context ``status`` (a status word such as "confirmed"
may mean something else as a column heading). A code this table does not know is shown with its
underscores as spaces. Pure: no I/O.
"""

from __future__ import annotations

from marketplace.pages import i18n

STATUS_CONTEXT = "status"


def pgettext(context: str, message: str) -> str:
    """gettext's marker with a context: extracted, translated by ``status_label``."""
    assert context == STATUS_CONTEXT
    return message


# Every status of assets, listings, orders, periods, quotes, demands, auctions, bids, anchor
# batches, evaluations, disputes and objections that a page shows.
STATUS_LABELS: dict[str, str] = {
    "draft": pgettext("status", "draft"),
    "under_review": pgettext("status", "under review"),
    "approved": pgettext("status", "approved"),
    "rejected": pgettext("status", "rejected"),
    "listed": pgettext("status", "listed"),
    "delisted": pgettext("status", "delisted"),
    "suspended": pgettext("status", "suspended"),
    "cancelled": pgettext("status", "cancelled"),
    "active": pgettext("status", "active"),
    "paused": pgettext("status", "paused"),
    "withdrawn": pgettext("status", "withdrawn"),
    "closed": pgettext("status", "closed"),
    "placed": pgettext("status", "placed"),
    "paid": pgettext("status", "paid"),
    "delivered": pgettext("status", "delivered"),
    "accepted": pgettext("status", "accepted"),
    "settled": pgettext("status", "settled"),
    "expired": pgettext("status", "expired"),
    "refunded": pgettext("status", "refunded"),
    "disputed": pgettext("status", "disputed"),
    "partially_refunded": pgettext("status", "partially refunded"),
    "due": pgettext("status", "due"),
    "held": pgettext("status", "held"),
    "refused": pgettext("status", "refused"),
    "waived": pgettext("status", "waived"),
    "offered": pgettext("status", "offered"),
    "open": pgettext("status", "open"),
    "fulfilled": pgettext("status", "fulfilled"),
    "committing": pgettext("status", "taking sealed bids"),
    "revealing": pgettext("status", "revealing bids"),
    "resolved": pgettext("status", "sold"),
    "no_sale": pgettext("status", "no sale"),
    "committed": pgettext("status", "committed"),
    "revealed": pgettext("status", "revealed"),
    "forfeited": pgettext("status", "forfeited"),
    "pending": pgettext("status", "pending"),
    "sent": pgettext("status", "sent"),
    "confirmed": pgettext("status", "confirmed"),
    "failed": pgettext("status", "failed"),
    "anchored": pgettext("status", "anchored"),
    "queued": pgettext("status", "queued"),
    "running": pgettext("status", "running"),
    "done": pgettext("status", "done"),
    "ruled": pgettext("status", "ruled"),
    "appealed": pgettext("status", "appealed"),
    "final": pgettext("status", "final"),
    "executed": pgettext("status", "executed"),
    "escalated": pgettext("status", "in arbitration"),
    "upheld": pgettext("status", "upheld"),
    "dismissed": pgettext("status", "dismissed"),
}


def status_label(code: str) -> str:
    """``under_review`` → ``under review`` / ``审核中``."""
    message = STATUS_LABELS.get(code)
    if message is None:
        return code.replace("_", " ")
    return i18n.translations(i18n.current_locale()).pgettext(STATUS_CONTEXT, message)
