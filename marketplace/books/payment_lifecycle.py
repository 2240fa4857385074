"""The payment lifecycle, declared as data: which provider answer moves a payment from which
state, and the journal kind each move writes (per direction; None: nothing is journaled).

    pending ─accept→  processing            (the provider took it; it answers later)
    pending|processing ─confirm→ confirmed  (deposit: clearing → available;
                                             withdrawal: withdrawing → clearing)
    pending|processing ─fail→    failed     (withdrawal: withdrawing → available)
    confirmed ─bounce→ returned             (withdrawal: clearing → available, the payout the
                                             beneficiary's bank sent back)
    pending|processing ─bounce→ returned    (withdrawal: withdrawing → available, when the
                                             return is the first the exchange hears of it)

``failed`` and ``returned`` are final, and ``confirmed`` is for all but a withdrawal's return: a
later answer for a final payment changes nothing (``transition`` is None), so a confirmation
that arrives twice, by the request, a worker and the webhook, posts once, and so does a return.
Only withdrawals bounce; the webhook refuses a deposit's return.
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
    bounce = "bounce"


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
    (
        (_S.pending, _S.processing, _S.confirmed),
        _P.bounce,
        _S.returned,
        {_D.deposit: None, _D.withdrawal: "payment.returned"},
    ),
)

TRANSITIONS: Final[dict[tuple[PaymentStatus, PaymentStep], Transition]] = {
    (source, event): Transition(source, event, target, kinds)
    for sources, event, target, kinds in _DECLARED
    for source in sources
}

#: States in which a withdrawal's money is still in its organisation's withdrawing account.
IN_FLIGHT: Final = frozenset({PaymentStatus.pending, PaymentStatus.processing})
#: States after which the provider is not asked again (a confirmed withdrawal may still bounce,
#: by the provider's webhook).
FINAL: Final = frozenset({PaymentStatus.confirmed, PaymentStatus.failed, PaymentStatus.returned})


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
