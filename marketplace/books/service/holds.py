"""Escrow holds, two-phase (``lifecycle.py``): ``hold`` moves the payer's available money to its
held account; ``release`` posts it to the payee (less the exchange's fee, to fee revenue);
``refund`` voids it back to the payer. Each writes its journal entry in the caller's
transaction and never commits. Callers are other domains (settlement), which have already
checked who may do what."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace.books import lifecycle, repository
from marketplace.books.errors import HoldNotFound, InvalidTransfer, TransferIdReused
from marketplace.books.lifecycle import HoldEvent
from marketplace.books.models import AccountKind, Hold, TransferCode
from marketplace.books.schemas import BalanceView, HoldView
from marketplace.books.service.accounts import (
    Leg,
    account,
    check,
    check_amount,
    check_currency,
    check_reference,
    check_transfer_id,
    locked_accounts,
    post,
)
from marketplace.identity.signing import ZERO_ADDRESS
from marketplace.principal import OrgRole, Principal

#: The actor of the books' entries when the caller names none: the exchange's books themselves.
BOOKS_ACTOR = ZERO_ADDRESS


def subject(hold_id: int) -> str:
    return f"hold:{hold_id}"


def hold_view(hold: Hold) -> HoldView:
    assert hold.id is not None
    return HoldView(
        id=hold.id,
        organization_id=hold.organization_id,
        amount_minor=hold.amount_minor,
        currency=hold.currency,
        status=hold.status,
        reference=hold.reference,
        transfer_id=hold.transfer_id,
        payee_organization_id=hold.payee_organization_id,
        fee_minor=hold.fee_minor,
        held_seq=hold.held_seq,
        closed_seq=hold.closed_seq,
        created_at=hold.created_at,
        updated_at=hold.updated_at,
    )


def hold(
    session: Session,
    *,
    org_id: int,
    amount_minor: int,
    currency: str,
    reference: str,
    transfer_id: str,
    actor: str = BOOKS_ACTOR,
    currencies: Collection[str] | None = None,
    now: datetime | None = None,
) -> HoldView:
    """Hold ``amount_minor`` of ``org_id``'s available money (available → held): journal
    ``escrow.held``. 409 ``insufficient_funds`` (nothing written) when available is short.
    ``transfer_id`` is the caller's: the same id with the same fields returns the first hold;
    with other fields it is a 409 ``transfer_id_reused``."""
    check_amount(amount_minor)
    check_currency(currency, currencies)
    check_reference(reference)
    check_transfer_id(transfer_id)
    hold_id, transferred = repository.transfer_id_uses(session, transfer_id)
    if hold_id is not None:
        existing = repository.get_hold(session, hold_id)
        assert existing is not None
        if (existing.organization_id, existing.amount_minor, existing.currency) != (
            org_id,
            amount_minor,
            currency,
        ):
            raise TransferIdReused(f"transfer id {transfer_id!r} already names another hold")
        return hold_view(existing)
    if transferred:
        raise TransferIdReused(f"transfer id {transfer_id!r} already names another transfer")
    available, held = locked_accounts(
        session, [(AccountKind.available, currency, org_id), (AccountKind.held, currency, org_id)]
    )
    leg = Leg(transfer_id, available, held, amount_minor, TransferCode.escrow_hold, reference)
    checked = check({available.id or 0: available, held.id or 0: held}, [leg])  # refuses
    # before the hold row is written
    moment = now or utc_now()
    held_seq = journal.next_seq(session)  # the row is written with its entry's seq
    row = {
        "organization_id": org_id,
        "amount_minor": amount_minor,
        "currency": currency,
        "status": lifecycle.INITIAL.value,
        "reference": reference,
        "transfer_id": transfer_id,
        "payee_organization_id": None,
        "fee_minor": None,
        "held_seq": held_seq,
        "closed_seq": None,
        "created_at": moment,
        "updated_at": moment,
    }
    row_id = repository.insert_hold(session, row)  # one statement, no unit of work
    leg = Leg(
        transfer_id, available, held, amount_minor, TransferCode.escrow_hold, reference, row_id
    )
    seq, _ = post(
        session,
        [leg],
        kind=lifecycle.HELD_KIND,
        subject=subject(row_id),
        actor=actor,
        payload={
            "hold_id": row_id,
            "organization_id": org_id,
            "reference": reference,
            "debit_account_id": available.id,
            "credit_account_id": held.id,
        },
        now=moment,
        checked=checked,  # the same accounts and amount, checked above
    )
    assert seq == held_seq
    return HoldView(id=row_id, **row)


def _locked(session: Session, hold_id: int) -> Hold:
    found = repository.get_hold(session, hold_id, lock=True)
    if found is None:
        raise HoldNotFound(f"no hold {hold_id}")
    return found


def _close(
    session: Session,
    row: Hold,
    transition: lifecycle.Transition,
    legs: list[Leg],
    *,
    payee_org_id: int | None,
    fee_minor: int | None,
    reference: str,
    actor: str,
    now: datetime | None,
) -> HoldView:
    """Post ``legs`` out of the pending hold ``row`` with the transition's journal entry (which
    names the payee, never an amount), move the hold by it and record who was paid."""
    assert row.id is not None
    payload: dict[str, object] = {
        "hold_id": row.id,
        "organization_id": row.organization_id,
        "reference": reference,
        "from": transition.source.value,
        "to": transition.target.value,
    }
    if payee_org_id is not None:
        payload["payee_organization_id"] = payee_org_id
    seq, _ = post(
        session,
        legs,
        kind=transition.kind,
        subject=subject(row.id),
        actor=actor,
        payload=payload,
        now=now,
    )
    lifecycle.apply(row, transition.event)
    if payee_org_id is not None:
        row.payee_organization_id, row.fee_minor = payee_org_id, fee_minor
    row.closed_seq = seq
    row.updated_at = now or utc_now()
    session.add(row)
    session.flush()
    return hold_view(row)


def release(
    session: Session,
    *,
    hold_id: int,
    payee_org_id: int,
    fee_minor: int,
    reference: str,
    actor: str = BOOKS_ACTOR,
    now: datetime | None = None,
) -> HoldView:
    """Post a pending hold: held → the payee's available (amount - fee) and held → the
    exchange's fee revenue (fee); journal ``settlement.released``. 409 ``hold_state`` unless
    the hold is pending; 422 when the fee is negative or above the amount."""
    check_reference(reference)
    row = _locked(session, hold_id)
    if isinstance(fee_minor, bool) or not 0 <= fee_minor <= row.amount_minor:
        raise InvalidTransfer(f"a fee lies between 0 and the hold's {row.amount_minor}")
    transition = lifecycle.require(row.status, HoldEvent.release)
    held = account(session, AccountKind.held, row.currency, row.organization_id)
    payee = account(session, AccountKind.available, row.currency, payee_org_id)
    revenue = account(session, AccountKind.fee_revenue, row.currency)
    legs = []
    if row.amount_minor - fee_minor > 0:
        legs.append(
            Leg(f"hold:{hold_id}:release", held, payee, row.amount_minor - fee_minor,
                TransferCode.escrow_release, reference, hold_id)
        )  # fmt: skip
    if fee_minor > 0:
        legs.append(
            Leg(f"hold:{hold_id}:fee", held, revenue, fee_minor, TransferCode.fee, reference,
                hold_id)
        )  # fmt: skip
    return _close(
        session, row, transition, legs,
        payee_org_id=payee_org_id, fee_minor=fee_minor, reference=reference, actor=actor, now=now,
    )  # fmt: skip


def refund(
    session: Session,
    *,
    hold_id: int,
    reference: str,
    actor: str = BOOKS_ACTOR,
    now: datetime | None = None,
) -> HoldView:
    """Void a pending hold: held → the payer's available, in full; journal ``escrow.refunded``.
    409 ``hold_state`` unless the hold is pending."""
    check_reference(reference)
    row = _locked(session, hold_id)
    transition = lifecycle.require(row.status, HoldEvent.refund)
    held = account(session, AccountKind.held, row.currency, row.organization_id)
    available = account(session, AccountKind.available, row.currency, row.organization_id)
    legs = [Leg(f"hold:{hold_id}:refund", held, available, row.amount_minor,
                TransferCode.escrow_refund, reference, hold_id)]  # fmt: skip
    return _close(
        session, row, transition, legs,
        payee_org_id=None, fee_minor=None, reference=reference, actor=actor, now=now,
    )  # fmt: skip


def split(
    session: Session,
    *,
    hold_id: int,
    payee_org_id: int | None,
    payee_minor: int,
    exchange_minor: int,
    arbitration_fee: bool = False,
    reference: str,
    actor: str = BOOKS_ACTOR,
    now: datetime | None = None,
) -> HoldView:
    """Post a pending hold in shares (a dispute's ruling, docs/disputes.md): held → the payee's
    available (``payee_minor``), held → the exchange (``exchange_minor``: to fee revenue for an
    order's fee, to ``arbitration_fees`` with ``arbitration_fee`` for a forfeited fee), and
    the rest back to the payer's available; journal ``settlement.split``. 409 ``hold_state``
    unless pending; 422 when the shares are negative or exceed the hold."""
    check_reference(reference)
    row = _locked(session, hold_id)
    shares = (payee_minor, exchange_minor)
    if (
        any(isinstance(v, bool) or v < 0 for v in shares)
        or sum(shares) > row.amount_minor
        or (payee_org_id is None and payee_minor > 0)
    ):
        raise InvalidTransfer(
            f"the shares of a split lie between 0 and the hold's {row.amount_minor}"
        )
    exchange_account = AccountKind.arbitration_fees if arbitration_fee else AccountKind.fee_revenue
    transition = lifecycle.require(row.status, HoldEvent.partial)
    held = account(session, AccountKind.held, row.currency, row.organization_id)
    rest = row.amount_minor - payee_minor - exchange_minor
    legs = []
    if payee_minor > 0:
        assert payee_org_id is not None
        payee = account(session, AccountKind.available, row.currency, payee_org_id)
        legs.append(
            Leg(f"hold:{hold_id}:split:payee", held, payee, payee_minor,
                TransferCode.escrow_release, reference, hold_id)
        )  # fmt: skip
    if exchange_minor > 0:
        exchange = account(session, exchange_account, row.currency)
        code = TransferCode.arbitration_fee if arbitration_fee else TransferCode.fee
        legs.append(
            Leg(f"hold:{hold_id}:split:exchange", held, exchange, exchange_minor, code,
                reference, hold_id)
        )  # fmt: skip
    if rest > 0:
        payer = account(session, AccountKind.available, row.currency, row.organization_id)
        legs.append(
            Leg(f"hold:{hold_id}:split:payer", held, payer, rest, TransferCode.escrow_split,
                reference, hold_id)
        )  # fmt: skip
    return _close(
        session, row, transition, legs,
        payee_org_id=payee_org_id, fee_minor=exchange_minor, reference=reference, actor=actor,
        now=now,
    )  # fmt: skip


#: The journal kind of the exchange's fee of a clawed-back trade returned to the buyer.
FEE_RETURNED_KIND = "fee.returned"


def return_fee(
    session: Session,
    *,
    org_id: int,
    amount_minor: int,
    currency: str,
    transfer_id: str,
    reference: str,
    actor: str = BOOKS_ACTOR,
    now: datetime | None = None,
) -> int:
    """Fee revenue → the organisation's available (``fee.returned``): a dispute's ruling
    refunds the buyer of a settled trade the exchange's fee in proportion (docs/disputes.md);
    the entry's seq. 409 ``insufficient_funds`` if fee revenue is short."""
    check_amount(amount_minor)
    check_transfer_id(transfer_id)
    check_reference(reference)
    revenue = account(session, AccountKind.fee_revenue, currency)
    payee = account(session, AccountKind.available, currency, org_id)
    seq, _ = post(
        session,
        [Leg(transfer_id, revenue, payee, amount_minor, TransferCode.fee_return, reference)],
        kind=FEE_RETURNED_KIND,
        subject=reference,
        actor=actor,
        payload={"organization_id": org_id, "reference": reference},
        now=now,
    )
    return seq


def get_hold(session: Session, hold_id: int) -> HoldView:
    found = repository.get_hold(session, hold_id)
    if found is None:
        raise HoldNotFound(f"no hold {hold_id}")
    return hold_view(found)


def visible_hold(session: Session, principal: Principal, hold_id: int) -> HoldView:
    """A hold, to its payer's and its payee's organisations (and operators); 404 to anyone
    else, as if it did not exist."""
    found = repository.get_hold(session, hold_id)
    org = principal.organization.id
    if found is None or (
        org not in (found.organization_id, found.payee_organization_id)
        and OrgRole.operator not in principal.roles
    ):
        raise HoldNotFound(f"no hold {hold_id}")
    return hold_view(found)


def balance(session: Session, *, org_id: int, currency: str) -> BalanceView:
    """The organisation's available, held and withdrawing money in ``currency`` (0 for
    accounts never used)."""
    by_kind = {a.kind: a.balance_minor for a in repository.accounts_of(session, org_id, currency)}
    return BalanceView(
        organization_id=org_id,
        currency=currency,
        available_minor=by_kind.get(AccountKind.available.value, 0),
        held_minor=by_kind.get(AccountKind.held.value, 0),
        withdrawing_minor=by_kind.get(AccountKind.withdrawing.value, 0),
    )
