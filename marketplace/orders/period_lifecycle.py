"""The order-period lifecycle as data (docs/orders.md#subscriptions-and-metered-usage): each
period of a subscription or a metered order is one ``order_period`` row with its own charge.

    due  ─charge→ held     (the period's amount held in escrow: ``escrow.held``; ``period.charged``)
    due  ─refuse→ refused  (the buyer's available money is short: nothing held; ``period.refused``)
    due  ─waive→  waived   (a metered period with no usage: nothing to charge; ``period.waived``)
    held ─settle→ settled  (the hold released to the supplier minus the fee at the period's end:
                            ``settlement.released``; ``period.settled``)
    held ─refund→ refunded (an operator refused the order: the hold refunded to the buyer in
                            full, ``escrow.refunded``; ``period.refunded``)
    due  ─cancel→ cancelled (an operator refused the order: never charged; ``period.cancelled``)
    held, settled ─dispute→ disputed (a party disputes the period: its hold frozen, or a settled
                            period's proceeds clawed back from the supplier; ``period.disputed``)
    disputed ─release→ settled     (the final ruling executes: the supplier paid;
                            ``period.released``)
    disputed ─refund→  refunded    (... the buyer refunded in full; ``period.refunded``)
    disputed ─refund_part→ partially_refunded (... split in basis points;
                            ``period.partially_refunded``)

``refused``, ``waived``, ``refunded``, ``cancelled`` and ``partially_refunded`` are final;
``settled`` is too but for a dispute opened within the dispute window (one per period: the
disputes domain refuses a second), as a settled order's. Every change
of ``OrderPeriod.status`` goes through ``apply``; a pair the table does not hold is an
``OrderStateConflict`` (409).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from marketplace.orders.errors import OrderStateConflict


class PeriodStatus(StrEnum):
    due = "due"
    held = "held"
    settled = "settled"
    refused = "refused"
    waived = "waived"
    refunded = "refunded"
    cancelled = "cancelled"
    disputed = "disputed"
    partially_refunded = "partially_refunded"


class PeriodEvent(StrEnum):
    charge = "charge"
    refuse = "refuse"
    waive = "waive"
    settle = "settle"
    refund = "refund"
    cancel = "cancel"
    dispute = "dispute"
    release = "release"
    refund_part = "refund_part"


INITIAL: Final = PeriodStatus.due
#: States in which a period's money has settled, or none moved (a settled period may yet be
#: disputed within the dispute window).
CLOSED: Final = frozenset(
    {
        PeriodStatus.settled,
        PeriodStatus.refused,
        PeriodStatus.waived,
        PeriodStatus.refunded,
        PeriodStatus.cancelled,
        PeriodStatus.partially_refunded,
    }
)


@dataclass(frozen=True)
class Transition:
    source: PeriodStatus
    event: PeriodEvent
    target: PeriodStatus
    kind: str


_S = PeriodStatus
_E = PeriodEvent

_DECLARED: Final[tuple[tuple[PeriodStatus, PeriodEvent, PeriodStatus, str], ...]] = (
    (_S.due, _E.charge, _S.held, "period.charged"),
    (_S.due, _E.refuse, _S.refused, "period.refused"),
    (_S.due, _E.waive, _S.waived, "period.waived"),
    (_S.held, _E.settle, _S.settled, "period.settled"),
    (_S.held, _E.refund, _S.refunded, "period.refunded"),
    (_S.due, _E.cancel, _S.cancelled, "period.cancelled"),
    (_S.held, _E.dispute, _S.disputed, "period.disputed"),
    (_S.settled, _E.dispute, _S.disputed, "period.disputed"),
    (_S.disputed, _E.release, _S.settled, "period.released"),
    (_S.disputed, _E.refund, _S.refunded, "period.refunded"),
    (_S.disputed, _E.refund_part, _S.partially_refunded, "period.partially_refunded"),
)

TRANSITIONS: Final[dict[tuple[PeriodStatus, PeriodEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for source, event, target, kind in _DECLARED
}


class Stateful(Protocol):
    status: str


def apply(period: Stateful, event: PeriodEvent) -> Transition:
    """Move the period by ``event``; 409 naming its state otherwise."""
    found = TRANSITIONS.get((PeriodStatus(period.status), event))
    if found is None:
        needs = [s.value for s, e, _, _ in _DECLARED if e == event]
        raise OrderStateConflict(
            f"cannot {event.value} a period that is {period.status}; "
            f"it must be {' or '.join(needs)}"
        )
    period.status = found.target
    return found


__all__ = [
    "CLOSED",
    "INITIAL",
    "TRANSITIONS",
    "PeriodEvent",
    "PeriodStatus",
    "Transition",
    "apply",
]
