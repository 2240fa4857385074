"""The payment lifecycle, declared as data: which provider answer moves a payment from which
state, and the journal kind each move writes (per direction; None: nothing is journaled).

    pending ─accept→  processing            (the provider took it; it answers later)
    pending|processing ─confirm→ confirmed  (deposit: clearing → available;
                                             withdrawal: withdrawing → clearing)
    pending|processing ─fail→    failed     (withdrawal: withdrawing → available)

``confirmed`` and ``failed`` are final: a later answer for a final payment changes nothing
(``allowed`` is False), so a confirmation that arrives twice, by the request, a worker and the
webhook, posts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from marketplace.books.models import PaymentDirection, PaymentStatus


class PaymentStep(StrEnum):
    accept = "accept"
    confirm = "confirm"
    fail = "fail"


#: The journal kind of a withdrawal's request: its money set aside (available → withdrawing).
WITHDRAWAL_REQUESTED_KIND: Final = "payment.withdrawal_requested"


@dataclass(frozen=True)
class Transition:
    source: PaymentStatus
    event: PaymentStep
    target: PaymentStatus
    kinds: dict[PaymentDirection, str | None]


_S = PaymentStatus
_P = PaymentStep
_D = PaymentDirection

_Kinds = dict[PaymentDirection, str | None]
_Row = tuple[tuple[PaymentStatus, ...], PaymentStep, PaymentStatus, _Kinds]
_DECLARED: Final[tuple[_Row, ...]] = (
    ((_S.pending,), _P.accept, _S.processing, {_D.deposit: None, _D.withdrawal: None}),
    (
        (_S.pending, _S.processing),
        _P.confirm,
        _S.confirmed,
        {_D.deposit: "payment.deposited", _D.withdrawal: "payment.withdrawn"},
    ),
    (
        (_S.pending, _S.processing),
        _P.fail,
        _S.failed,
        {_D.deposit: "payment.failed", _D.withdrawal: "payment.failed"},
    ),
)

TRANSITIONS: Final[dict[tuple[PaymentStatus, PaymentStep], Transition]] = {
    (source, event): Transition(source, event, target, kinds)
    for sources, event, target, kinds in _DECLARED
    for source in sources
}

#: States in which a withdrawal's money is still in its organisation's withdrawing account.
IN_FLIGHT: Final = frozenset({PaymentStatus.pending, PaymentStatus.processing})
FINAL: Final = frozenset({PaymentStatus.confirmed, PaymentStatus.failed})


def transition(state: PaymentStatus | str, event: PaymentStep) -> Transition | None:
    """The move ``event`` makes from ``state``, or None when it makes none (a final payment,
    or an acceptance of one already processing): the answer is then taken and ignored."""
    return TRANSITIONS.get((PaymentStatus(state), event))


__all__ = [
    "FINAL",
    "IN_FLIGHT",
    "TRANSITIONS",
    "WITHDRAWAL_REQUESTED_KIND",
    "PaymentStep",
    "Transition",
    "transition",
]
