"""How long a settled order, or a settled period of one, may be disputed (pure): the hours its
agreed terms signed (``dispute_window_h``, stored on the order at placement) after its
settlement, or for an order placed before orders kept them, the exchange's ``dispute_window_s``
(docs/disputes.md, "The dispute window"). The order's API view shows the deadline
(``dispute_closes_at``) and the disputes domain refuses a dispute at it, both from here."""

from __future__ import annotations

from datetime import datetime, timedelta

from marketplace.settings import Settings


def dispute_window(settings: Settings, window_h: int | None) -> timedelta:
    """An order's dispute window: ``window_h``, the hours its agreed terms signed, or for an
    order placed before orders kept them (None) the exchange's ``dispute_window_s``."""
    if window_h is None:
        return timedelta(seconds=settings.dispute_window_s)
    return timedelta(hours=window_h)


def window_closes_at(settings: Settings, window_h: int | None, settled_at: datetime) -> datetime:
    """The end of the dispute window of an order, or one of its periods, settled at
    ``settled_at``, whose terms signed ``window_h`` (see ``dispute_window``): a dispute is
    taken before it, refused at it."""
    return settled_at + dispute_window(settings, window_h)
