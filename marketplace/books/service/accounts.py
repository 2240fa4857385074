"""Accounts and postings: the one place money moves.

``post`` moves money by a batch of transfers in the caller's transaction: it locks every account
the batch touches (ascending ids, so concurrent postings never deadlock; on SQLite the
transaction already holds the write lock), refuses the batch if any account but clearing would
go negative or any balance would leave the 64-bit range, appends one journal entry holding a
commitment to each transfer, inserts the transfers with that entry's seq and updates the cached
balances. After each batch it asserts that the batch's changes sum to zero.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.canonical import canonical_json
from ledger.models import utc_now
from marketplace import limits
from marketplace.books import repository
from marketplace.books.errors import (
    InsufficientFunds,
    InvalidAmount,
    InvalidTransfer,
    UnknownCurrency,
)
from marketplace.books.models import (
    ORGANIZATION_KINDS,
    AccountKind,
    BookAccount,
    BookTransfer,
    TransferCode,
)
from marketplace.books.schemas import TRANSFER_ID_PATTERN
from marketplace.money import Currency
from marketplace.settings import get_settings

_TRANSFER_ID = re.compile(TRANSFER_ID_PATTERN)


def configured_currencies() -> frozenset[str]:
    """The currencies the books keep: the exchange's one currency (``DATABOURSE_CURRENCY``)."""
    return frozenset({get_settings().currency})


def check_currency(currency: str, currencies: Collection[str] | None = None) -> str:
    allowed = configured_currencies() if currencies is None else frozenset(currencies)
    if currency not in allowed:
        raise UnknownCurrency(
            f"unknown currency {currency[:16]!r}; the exchange keeps {', '.join(sorted(allowed))}"
        )
    return currency


def check_amount(amount_minor: int, what: str = "an amount") -> int:
    if (
        isinstance(amount_minor, bool)
        or not isinstance(amount_minor, int)
        or not 1 <= amount_minor <= limits.amount_minor_max
    ):
        raise InvalidAmount(
            f"{what} is a whole number of minor units from 1 to {limits.amount_minor_max}"
        )
    return amount_minor


def check_transfer_id(transfer_id: str) -> str:
    if (
        not isinstance(transfer_id, str)
        or not 1 <= len(transfer_id) <= limits.books_transfer_id_length_max
        or not _TRANSFER_ID.fullmatch(transfer_id)
    ):
        raise InvalidTransfer(
            f"a transfer id is 1 to {limits.books_transfer_id_length_max} letters, digits, "
            "'.', '_' or '-'"
        )
    return transfer_id


def check_reference(reference: str) -> str:
    if (
        not isinstance(reference, str)
        or len(reference) > limits.books_reference_length_max
        or not reference.isprintable()
    ):
        raise InvalidTransfer(
            f"a reference is at most {limits.books_reference_length_max} printable characters"
        )
    return reference


def account_key(kind: AccountKind, currency: str, organization_id: int | None = None) -> str:
    if organization_id is None:
        return f"exchange:{kind.value}:{currency}"
    return f"org:{organization_id}:{kind.value}:{currency}"


def account(
    session: Session, kind: AccountKind, currency: str, organization_id: int | None = None
) -> BookAccount:
    """The account, opened on first use (concurrent openers meet on the unique key)."""
    assert (organization_id is None) == (kind not in ORGANIZATION_KINDS), (
        "organisations have available, held and withdrawing accounts; the exchange the others"
    )
    key = account_key(kind, currency, organization_id)
    found = repository.account_by_key(session, key)
    if found is None:
        repository.add_unless_there(
            session,
            BookAccount(
                key=key, kind=kind.value, organization_id=organization_id, currency=currency
            ),
        )
        found = repository.account_by_key(session, key)
    if found is None:  # the insert was refused: no such organisation
        raise InvalidTransfer(f"no organisation {organization_id}")
    assert found.id is not None
    return found


@dataclass(frozen=True)
class Leg:
    """One transfer to post."""

    transfer_id: str
    debit: BookAccount
    credit: BookAccount
    amount_minor: int
    code: TransferCode
    reference: str = ""
    hold_id: int | None = None


def record(transfer: Mapping[str, Any]) -> dict[str, Any]:
    """The transfer's canonical record (its row's values, by column): what ``record_sha256`` is
    the SHA-256 of (RFC 8785). The amount is a decimal string, as RFC 8785 holds integers
    exactly only up to 2**53-1."""
    return {
        "transfer_id": transfer["transfer_id"],
        "debit_account_id": transfer["debit_account_id"],
        "credit_account_id": transfer["credit_account_id"],
        "amount_minor": str(transfer["amount_minor"]),
        "currency": transfer["currency"],
        "code": transfer["code"],
        "created_at": journal.format_recorded_at(transfer["created_at"]),
        "salt": transfer["salt"],
    }


def record_sha256(transfer: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record(transfer))).hexdigest()


def _insufficient(account_: BookAccount, needed: int) -> InsufficientFunds:
    scale = get_settings().currency_scale
    have = Currency(account_.currency, scale).format(account_.balance_minor)
    want = Currency(account_.currency, scale).format(needed)
    return InsufficientFunds(f"insufficient funds: {account_.kind} holds {have}, this needs {want}")


def lock_and_check(session: Session, legs: Sequence[Leg]) -> dict[int, BookAccount]:
    """Lock the accounts ``legs`` touch and refuse (writing nothing) if any account but clearing
    would go negative, or any balance would leave the 64-bit range."""
    # Every journaled write locks the journal head; taking it before the accounts gives every
    # transaction one lock order (head, then accounts by id), so none waits on another in a
    # cycle, whichever of them journaled first.
    journal.lock_head(session)
    ids = [a.id for leg in legs for a in (leg.debit, leg.credit) if a.id is not None]
    return check(repository.lock_accounts(session, ids), legs)


def locked_accounts(
    session: Session, wanted: Sequence[tuple[AccountKind, str, int | None]]
) -> list[BookAccount]:
    """The accounts ``wanted`` (kind, currency, organisation), locked as ``lock_and_check``
    locks them (the journal head first, then the accounts by id) and read in one query when
    they all exist; any not yet opened is opened first. Pass what this returns to ``check``."""
    keys = [account_key(kind, currency, org) for kind, currency, org in wanted]
    journal.lock_head(session)
    found = repository.lock_accounts_by_key(session, keys)
    if len(found) < len(set(keys)):  # first use: open them, then lock them all
        ids = [account(session, *w).id or 0 for w in wanted]
        by_id = repository.lock_accounts(session, ids)
        found = {a.key: a for a in by_id.values()}
    return [found[key] for key in keys]


def check(locked: dict[int, BookAccount], legs: Sequence[Leg]) -> dict[int, BookAccount]:
    """Refuse (writing nothing) if ``legs`` would take any of the ``locked`` accounts but
    clearing negative, or any balance out of the 64-bit range; ``locked``, by id."""
    deltas: dict[int, int] = {}
    for leg in legs:
        assert leg.debit.id is not None
        assert leg.credit.id is not None
        assert leg.debit.id != leg.credit.id
        assert leg.debit.currency == leg.credit.currency
        check_amount(leg.amount_minor)
        deltas[leg.debit.id] = deltas.get(leg.debit.id, 0) - leg.amount_minor
        deltas[leg.credit.id] = deltas.get(leg.credit.id, 0) + leg.amount_minor
    for account_id, delta in deltas.items():
        row = locked[account_id]
        after = row.balance_minor + delta
        if after < 0 and row.kind != AccountKind.clearing:
            raise _insufficient(row, -delta)
        if abs(after) > limits.amount_minor_max:
            raise InvalidAmount(
                f"this would carry the {row.kind} balance past {limits.amount_minor_max} "
                "minor units"
            )
    return locked


def post(
    session: Session,
    legs: Sequence[Leg],
    *,
    kind: str,
    subject: str,
    actor: str,
    payload: Mapping[str, Any],
    now: datetime | None = None,
    checked: dict[int, BookAccount] | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Post ``legs`` as one batch and one journal entry ``kind``; (its seq, the transfers' rows
    as written, by column). ``checked``: what ``lock_and_check`` returned for these very legs
    earlier in this transaction (the accounts stay locked until it ends, and only it moves their
    balances); without it, they are locked and checked here. The transfers and the balances are
    written by one statement each (``repository.insert_transfers``, ``set_balances``); the
    locked account rows the session holds are given their new balances as written."""
    assert legs
    locked = lock_and_check(session, legs) if checked is None else checked
    created = now or utc_now()
    transfers: list[dict[str, Any]] = []
    for leg in legs:
        row: dict[str, Any] = {
            "transfer_id": leg.transfer_id,
            "debit_account_id": leg.debit.id or 0,
            "credit_account_id": leg.credit.id or 0,
            "amount_minor": leg.amount_minor,
            "currency": leg.debit.currency,
            "code": leg.code.value,
            "hold_id": leg.hold_id,
            "reference": leg.reference,
            "salt": secrets.token_hex(32),
            "seq": 0,
            "created_at": created,
        }
        row["record_sha256"] = record_sha256(row)
        transfers.append(row)
    entry = journal.append_entry(
        session,
        kind=kind,
        subject=subject,
        actor=actor,
        payload={
            **payload,
            "transfers": [
                {"transfer_id": t["transfer_id"], "code": t["code"], "sha256": t["record_sha256"]}
                for t in transfers
            ],
        },
    )
    for transfer in transfers:
        transfer["seq"] = entry.seq
    repository.insert_transfers(session, transfers)
    before = sum(a.balance_minor for a in locked.values())
    balances = {a.id or 0: a.balance_minor for a in locked.values()}
    for leg in legs:
        balances[leg.debit.id or 0] -= leg.amount_minor
        balances[leg.credit.id or 0] += leg.amount_minor
    # The cheap form of the zero-sum invariant: the batch moved money, it made none.
    assert sum(balances.values()) == before, "a posting made money"
    moved = {
        account_id: b for account_id, b in balances.items() if b != locked[account_id].balance_minor
    }
    repository.set_balances(session, moved, [locked[account_id] for account_id in moved])
    assert sum(a.balance_minor for a in locked.values()) == before, "a posting made money"
    return entry.seq, transfers


def same_transfer(existing: BookTransfer, leg: Leg) -> bool:
    return (
        existing.debit_account_id == leg.debit.id
        and existing.credit_account_id == leg.credit.id
        and existing.amount_minor == leg.amount_minor
        and existing.code == leg.code.value
        and existing.currency == leg.debit.currency
    )
