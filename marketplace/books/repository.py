"""All SQL for the books."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.books.models import BookAccount, BookTransfer, Hold, Payment, PaymentEvent


def account_by_key(session: Session, key: str, *, lock: bool = False) -> BookAccount | None:
    query = select(BookAccount).where(col(BookAccount.key) == key)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def add_account_unless_there(session: Session, account: BookAccount) -> None:
    """Insert ``account`` unless another transaction already did (its key is unique); a
    savepoint keeps the caller's transaction usable after the refused insert."""
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:
        if account in session:
            session.expunge(account)


def lock_accounts(session: Session, ids: Sequence[int]) -> dict[int, BookAccount]:
    """Lock ``ids`` in ascending order (concurrent postings never deadlock) and read them fresh.
    On SQLite the transaction already holds the database's write lock (``BEGIN IMMEDIATE``)."""
    query = (
        select(BookAccount)
        .where(col(BookAccount.id).in_(sorted(set(ids))))
        .order_by(col(BookAccount.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {a.id: a for a in session.exec(query).all() if a.id is not None}


def accounts_of(session: Session, organization_id: int, currency: str) -> list[BookAccount]:
    query = select(BookAccount).where(
        col(BookAccount.organization_id) == organization_id, col(BookAccount.currency) == currency
    )
    return list(session.exec(query).all())


def all_accounts(session: Session) -> list[BookAccount]:
    return list(session.exec(select(BookAccount).order_by(col(BookAccount.id))).all())


def transfer_by_id(session: Session, transfer_id: str) -> BookTransfer | None:
    query = select(BookTransfer).where(col(BookTransfer.transfer_id) == transfer_id)
    return session.exec(query).first()


def add_transfers(session: Session, transfers: Sequence[BookTransfer]) -> None:
    session.add_all(transfers)
    session.flush()


def add(session: Session, row: Hold | Payment | PaymentEvent) -> None:
    session.add(row)
    session.flush()


def derived_balances(session: Session) -> dict[int, int]:
    """Every account's credits minus debits, summed from the transfers."""
    amount = func.sum(col(BookTransfer.amount_minor))
    credited = select(col(BookTransfer.credit_account_id), amount)
    debited = select(col(BookTransfer.debit_account_id), amount)
    out: dict[int, int] = {}
    for account_id, total in session.exec(credited.group_by(col(BookTransfer.credit_account_id))):
        out[account_id] = out.get(account_id, 0) + int(total)
    for account_id, total in session.exec(debited.group_by(col(BookTransfer.debit_account_id))):
        out[account_id] = out.get(account_id, 0) - int(total)
    return out


def transfer_count(session: Session) -> int:
    return int(session.exec(select(func.count(col(BookTransfer.id)))).one())


def pending_held(session: Session, statuses: Sequence[str]) -> dict[tuple[int, str], int]:
    """(organisation, currency) → the sum of its holds in ``statuses``."""
    query = (
        select(col(Hold.organization_id), col(Hold.currency), func.sum(col(Hold.amount_minor)))
        .where(col(Hold.status).in_(list(statuses)))
        .group_by(col(Hold.organization_id), col(Hold.currency))
    )
    return {(org, cur): int(total) for org, cur, total in session.exec(query)}


def get_hold(session: Session, hold_id: int, *, lock: bool = False) -> Hold | None:
    query = select(Hold).where(col(Hold.id) == hold_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def hold_by_transfer_id(session: Session, transfer_id: str) -> Hold | None:
    return session.exec(select(Hold).where(col(Hold.transfer_id) == transfer_id)).first()


def transfers_of_accounts(
    session: Session, account_ids: Sequence[int], *, limit: int
) -> list[BookTransfer]:
    """The transfers touching ``account_ids``, oldest first (at most ``limit``, the newest)."""
    ids = list(account_ids)
    query = (
        select(BookTransfer)
        .where(
            col(BookTransfer.debit_account_id).in_(ids)
            | col(BookTransfer.credit_account_id).in_(ids)
        )
        .order_by(col(BookTransfer.id).desc())
        .limit(limit)
    )
    return list(reversed(session.exec(query).all()))


def payment_by_transfer_id(session: Session, transfer_id: str) -> Payment | None:
    return session.exec(select(Payment).where(col(Payment.transfer_id) == transfer_id)).first()


def payment_by_ref(
    session: Session, provider: str, provider_ref: str, *, lock: bool = False
) -> Payment | None:
    query = select(Payment).where(
        col(Payment.provider) == provider, col(Payment.provider_ref) == provider_ref
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def payment_event(session: Session, provider: str, event_id: str) -> PaymentEvent | None:
    query = select(PaymentEvent).where(
        col(PaymentEvent.provider) == provider, col(PaymentEvent.event_id) == event_id
    )
    return session.exec(query).first()


def add_event_unless_there(session: Session, event: PaymentEvent) -> bool:
    """Insert ``event`` unless its id was seen (then False): concurrent replays queue on the
    unique index and only the first gets True."""
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        if event in session:
            session.expunge(event)
        return False
    return True
