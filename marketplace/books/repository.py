"""All SQL for the books."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, bindparam, exists, func, insert, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from marketplace.books.models import (
    BookAccount,
    BookTransfer,
    Hold,
    OutboxStatus,
    Payment,
    PaymentDirection,
    PaymentEvent,
    PaymentOutbox,
)
from marketplace.db import loaded_all


def account_by_key(session: Session, key: str, *, lock: bool = False) -> BookAccount | None:
    query = select(BookAccount).where(col(BookAccount.key) == key)
    if lock:
        query = query.with_for_update(key_share=True)
    return session.exec(query).first()


def add_unless_there(session: Session, row: BookAccount | Payment | PaymentEvent) -> bool:
    """Insert ``row`` unless a unique index already holds its key (an account's key, a payment's
    transfer id, a provider event's id): then False, and nothing inserted. Concurrent inserts
    queue on the index and only the first gets True; a savepoint keeps the caller's transaction
    usable after the refused insert."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if row in session:
            session.expunge(row)
        return False
    return True


def lock_accounts(session: Session, ids: Sequence[int]) -> dict[int, BookAccount]:
    """Lock ``ids`` in ascending order (concurrent postings never deadlock) and read them fresh.
    On SQLite the transaction already holds the database's write lock (``BEGIN IMMEDIATE``)."""
    query = (
        select(BookAccount)
        .where(col(BookAccount.id).in_(sorted(set(ids))))
        .order_by(col(BookAccount.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {a.id: a for a in session.exec(query).all() if a.id is not None}


def lock_accounts_by_key(session: Session, keys: Sequence[str]) -> dict[str, BookAccount]:
    """``lock_accounts`` for the accounts named by ``keys`` (those that exist), in one query:
    locked in ascending id order and read fresh."""
    rows = loaded_all(session, BookAccount, _LOCK_ACCOUNTS_BY_KEY, {"keys": sorted(set(keys))})
    return {a.key: a for a in rows}


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


_TRANSFER: Table = BookTransfer.metadata.tables["book_transfer"]
_ACCOUNT: Table = BookAccount.metadata.tables["book_account"]
_HOLD: Table = Hold.metadata.tables["book_hold"]
# Statements of the posting path, built once (Core: no unit of work, one statement each).
_INSERT_TRANSFERS = insert(_TRANSFER)
_SET_BALANCE = (
    update(_ACCOUNT)
    .where(_ACCOUNT.c.id == bindparam("account_id"))
    .values(balance_minor=bindparam("balance"))
)
_INSERT_HOLD = insert(_HOLD).returning(_HOLD.c.id)
_LOCK_ACCOUNTS_BY_KEY = (
    core_select(_ACCOUNT)
    .where(_ACCOUNT.c.key.in_(bindparam("keys", expanding=True)))
    .order_by(_ACCOUNT.c.id)
    .with_for_update(key_share=True)
)
_TRANSFER_ID_USES = core_select(
    core_select(_HOLD.c.id)
    .where(_HOLD.c.transfer_id == bindparam("transfer_id"))
    .scalar_subquery(),
    exists().where(_TRANSFER.c.transfer_id == bindparam("transfer_id")),
)


def insert_transfers(session: Session, transfers: Sequence[dict[str, Any]]) -> None:
    """Insert the transfers (each a row's values by column, ids assigned by the database), in
    one statement."""
    session.execute(_INSERT_TRANSFERS, list(transfers))


def set_balances(session: Session, balances: dict[int, int], held: Sequence[BookAccount]) -> None:
    """Write the balances (account id → balance) in one statement; ``held``: those accounts'
    rows the session holds (locked by this transaction), given the balances as written."""
    if not balances:
        return
    session.execute(_SET_BALANCE, [{"account_id": i, "balance": b} for i, b in balances.items()])
    for row in held:
        set_committed_value(row, "balance_minor", balances[row.id or 0])


def transfer_id_uses(session: Session, transfer_id: str) -> tuple[int | None, bool]:
    """(the id of the hold named ``transfer_id``, if one is; whether a transfer is), in one
    query."""
    hold_id, transferred = session.execute(_TRANSFER_ID_USES, {"transfer_id": transfer_id}).one()
    return (None if hold_id is None else int(hold_id)), bool(transferred)


def insert_hold(session: Session, values: dict[str, Any]) -> int:
    """Insert a hold (its row's values by column) in one statement; its id."""
    return int(session.execute(_INSERT_HOLD, values).scalar_one())


def add(session: Session, row: Hold | Payment | PaymentEvent | PaymentOutbox) -> None:
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
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
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
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.exec(query).first()


def payment_event(session: Session, provider: str, event_id: str) -> PaymentEvent | None:
    query = select(PaymentEvent).where(
        col(PaymentEvent.provider) == provider, col(PaymentEvent.event_id) == event_id
    )
    return session.exec(query).first()


def get_payment(session: Session, payment_id: int, *, lock: bool = False) -> Payment | None:
    query = select(Payment).where(col(Payment.id) == payment_id)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.exec(query).first()


def payments_of(
    session: Session, organization_id: int, *, statuses: Collection[str], limit: int
) -> list[Payment]:
    """The organisation's payments in ``statuses`` (any when empty), newest first."""
    query = select(Payment).where(col(Payment.organization_id) == organization_id)
    if statuses:
        query = query.where(col(Payment.status).in_(list(statuses)))
    return list(session.exec(query.order_by(col(Payment.id).desc()).limit(limit)).all())


def deposits_in_flight(session: Session, currency: str, statuses: Sequence[str]) -> int:
    """The sum of the deposits in ``currency`` in ``statuses`` (not yet in the books)."""
    query = select(func.coalesce(func.sum(col(Payment.amount_minor)), 0)).where(
        col(Payment.direction) == PaymentDirection.deposit.value,
        col(Payment.currency) == currency,
        col(Payment.status).in_(list(statuses)),
    )
    return int(session.exec(query).one())


def withdrawals_in_flight(session: Session, statuses: Sequence[str]) -> dict[tuple[int, str], int]:
    """(organisation, currency) → the sum of its withdrawals in ``statuses`` whose money was set
    aside in its withdrawing account (those recorded before the outbox were not)."""
    query = (
        select(
            col(Payment.organization_id), col(Payment.currency), func.sum(col(Payment.amount_minor))
        )
        .where(
            col(Payment.direction) == PaymentDirection.withdrawal.value,
            col(Payment.status).in_(list(statuses)),
            col(Payment.requested_seq).is_not(None),
        )
        .group_by(col(Payment.organization_id), col(Payment.currency))
    )
    return {(org, cur): int(total) for org, cur, total in session.exec(query)}


# --- the provider outbox --------------------------------------------------------------------


def outbox(session: Session, payment_id: int) -> PaymentOutbox | None:
    return session.get(PaymentOutbox, payment_id, populate_existing=True)


def outboxes(session: Session, payment_ids: Sequence[int]) -> dict[int, PaymentOutbox]:
    query = select(PaymentOutbox).where(col(PaymentOutbox.payment_id).in_(list(payment_ids)))
    return {box.payment_id: box for box in session.exec(query).all()}


def _due(now: datetime) -> Any:
    """Pending and due, or claimed by a caller that has not reported in time (it died, or its
    call hangs past its claim)."""
    return or_(
        and_(
            col(PaymentOutbox.status) == OutboxStatus.pending.value,
            col(PaymentOutbox.next_attempt_at) <= now,
        ),
        and_(
            col(PaymentOutbox.status) == OutboxStatus.sending.value,
            col(PaymentOutbox.claimed_until) <= now,
        ),
    )


def due_outbox_ids(session: Session, now: datetime, limit: int) -> list[int]:
    query = (
        select(PaymentOutbox.payment_id)
        .where(_due(now))
        .order_by(col(PaymentOutbox.next_attempt_at), col(PaymentOutbox.payment_id))
        .limit(limit)
    )
    return [int(i) for i in session.exec(query).all()]


def claim_outbox(
    session: Session,
    payment_id: int,
    holder: str,
    now: datetime,
    until: datetime,
    *,
    fresh: bool = False,
) -> bool:
    """Claim the payment's provider call for ``holder`` and count the attempt; True when this
    call did. ``fresh`` (the request that recorded the payment) also takes a pending row not yet
    due. One conditional UPDATE: of two callers racing for a row, the second finds it no longer
    claimable (PostgreSQL re-checks the condition after the first commits; SQLite runs one
    writer)."""
    claimable = _due(now)
    if fresh:
        claimable = or_(claimable, col(PaymentOutbox.status) == OutboxStatus.pending.value)
    result = session.execute(
        update(PaymentOutbox)
        .where(col(PaymentOutbox.payment_id) == payment_id, claimable)
        .values(
            status=OutboxStatus.sending.value,
            claimed_by=holder,
            claimed_until=until,
            attempts=col(PaymentOutbox.attempts) + 1,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def retry_outbox(
    session: Session, payment_id: int, holder: str, *, at: datetime, error: str
) -> bool:
    """Put ``holder``'s claimed call back to pending, to be made again at ``at``; False when the
    claim was lost meanwhile (another caller took the row), and then nothing changes."""
    result = session.execute(
        update(PaymentOutbox)
        .where(
            col(PaymentOutbox.payment_id) == payment_id,
            col(PaymentOutbox.status) == OutboxStatus.sending.value,
            col(PaymentOutbox.claimed_by) == holder,
        )
        .values(
            status=OutboxStatus.pending.value,
            claimed_by=None,
            claimed_until=None,
            next_attempt_at=at,
            last_error=error,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def close_outbox(session: Session, payment_id: int, now: datetime) -> None:
    """The provider has answered for good: nothing more to send, whoever holds the row."""
    session.execute(
        update(PaymentOutbox)
        .where(
            col(PaymentOutbox.payment_id) == payment_id,
            col(PaymentOutbox.status) != OutboxStatus.done.value,
        )
        .values(status=OutboxStatus.done.value, claimed_by=None, claimed_until=None, done_at=now)
    )


def poll_outbox_at(session: Session, payment_id: int, at: datetime) -> None:
    """The provider accepted the payment: ask it again at ``at`` (whoever held the row), unless
    the payment's row is already closed."""
    session.execute(
        update(PaymentOutbox)
        .where(
            col(PaymentOutbox.payment_id) == payment_id,
            col(PaymentOutbox.status) != OutboxStatus.done.value,
        )
        .values(
            status=OutboxStatus.pending.value,
            claimed_by=None,
            claimed_until=None,
            next_attempt_at=at,
            last_error=None,
        )
    )
