"""Statements (an organisation's transfers with their journal seq and running balances) and
the reconciliation of the whole books."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlmodel import Session

from marketplace import limits
from marketplace.books import lifecycle, payment_lifecycle, repository
from marketplace.books.models import AccountKind
from marketplace.books.schemas import (
    AccountCheck,
    ExchangeAccount,
    Reconciliation,
    Statement,
    StatementLine,
)
from marketplace.principal import Principal
from marketplace.settings import Settings


def reconcile(session: Session) -> Reconciliation:
    """Check the books in full: the sum of every account's balance derived from the transfers
    is zero; each cached balance equals its derived one; no account but clearing is negative;
    each organisation's held account equals the sum of its pending holds, and its withdrawing
    account the sum of its withdrawals in flight."""
    accounts = repository.all_accounts(session)
    derived = repository.derived_balances(session)
    problems: list[str] = []
    mismatched: list[AccountCheck] = []
    for row in accounts:
        assert row.id is not None
        value = derived.get(row.id, 0)
        if value != row.balance_minor:
            mismatched.append(AccountCheck(
                account_id=row.id, key=row.key, cached_minor=row.balance_minor,
                derived_minor=value,
            ))  # fmt: skip
        if value < 0 and row.kind != AccountKind.clearing:
            problems.append(f"account {row.key} is negative: {value}")
    total = sum(derived.values())
    if total != 0:
        problems.append(f"the accounts sum to {total}, not zero")
    if mismatched:
        problems.append(f"{len(mismatched)} cached balances differ from their transfers")
    pending = repository.pending_held(session, [s.value for s in lifecycle.HOLDING])
    for row in accounts:
        if row.kind == AccountKind.held and row.organization_id is not None:
            want = pending.get((row.organization_id, row.currency), 0)
            if derived.get(row.id or 0, 0) != want:
                problems.append(
                    f"account {row.key} holds {derived.get(row.id or 0, 0)}, its pending holds "
                    f"{want}"
                )
    in_flight = repository.withdrawals_in_flight(
        session, [s.value for s in payment_lifecycle.IN_FLIGHT]
    )
    for row in accounts:
        if row.kind == AccountKind.withdrawing and row.organization_id is not None:
            want = in_flight.get((row.organization_id, row.currency), 0)
            if derived.get(row.id or 0, 0) != want:
                problems.append(
                    f"account {row.key} holds {derived.get(row.id or 0, 0)}, its withdrawals "
                    f"in flight {want}"
                )
    return Reconciliation(
        ok=not problems,
        accounts=len(accounts),
        transfers=repository.transfer_count(session),
        total_minor=total,
        problems=problems,
        mismatched=mismatched,
        exchange_accounts=[
            ExchangeAccount(
                key=row.key, kind=row.kind, currency=row.currency, balance_minor=row.balance_minor
            )
            for row in accounts
            if row.organization_id is None
        ],
    )


def statement(session: Session, *, org_id: int, currency: str, scale: int) -> Statement:
    """The organisation's transfers in ``currency``, oldest first (the newest
    ``books_statement_lines_max``), each with the journal seq that records it and the running
    balance of the organisation's account it touched. A transfer between two of its own
    accounts (available, held, withdrawing) is two lines, one per account."""
    own = {a.id: a for a in repository.accounts_of(session, org_id, currency) if a.id is not None}
    cap = limits.books_statement_lines_max
    rows = repository.transfers_of_accounts(session, list(own), limit=cap + 1)
    truncated = len(rows) > cap
    rows = rows[-cap:]
    balances = {account_id: a.balance_minor for account_id, a in own.items()}
    # Walk back from today's balances, so that a truncated statement's balances are still true.
    lines: list[StatementLine] = []
    for t in reversed(rows):
        for account_id, sign in ((t.credit_account_id, 1), (t.debit_account_id, -1)):
            if account_id not in own:
                continue
            lines.append(StatementLine(
                seq=t.seq, transfer_id=t.transfer_id, code=t.code, account=own[account_id].kind,
                delta_minor=sign * t.amount_minor, balance_minor=balances[account_id],
                amount_minor=t.amount_minor, currency=t.currency,
                debit_account_id=t.debit_account_id, credit_account_id=t.credit_account_id,
                reference=t.reference, hold_id=t.hold_id, created_at=t.created_at, salt=t.salt,
                record_sha256=t.record_sha256,
            ))  # fmt: skip
            balances[account_id] -= sign * t.amount_minor
    lines.reverse()
    by_kind = {a.kind: a.balance_minor for a in own.values()}
    return Statement(
        organization_id=org_id,
        currency=currency,
        currency_scale=scale,
        available_minor=by_kind.get(AccountKind.available.value, 0),
        held_minor=by_kind.get(AccountKind.held.value, 0),
        withdrawing_minor=by_kind.get(AccountKind.withdrawing.value, 0),
        lines=lines,
        truncated=truncated,
    )


def own_statement(session: Session, principal: Principal, settings: Settings) -> Statement:
    """``statement`` of the caller's organisation, in the exchange's currency."""
    org_id = principal.organization.id
    assert org_id is not None
    return statement(
        session, org_id=org_id, currency=settings.currency, scale=settings.currency_scale
    )


CSV_COLUMNS = (
    "seq", "created_at", "transfer_id", "code", "account", "delta_minor", "balance_minor",
    "amount_minor", "currency", "debit_account_id", "credit_account_id", "hold_id", "reference",
    "salt", "record_sha256",
)  # fmt: skip
# The same amounts as a spreadsheet reads them: decimal numbers of the currency (500.00, not
# 50000), no thousands separator; the *_minor columns stay the exact ones.
CSV_DECIMAL_COLUMNS = {"delta": "delta_minor", "balance": "balance_minor", "amount": "amount_minor"}


def statement_csv(found: Statement) -> str:
    """The statement's lines as CSV (RFC 4180, a header row first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *CSV_DECIMAL_COLUMNS])
    for line in found.lines:
        data = line.model_dump(mode="json")
        decimals = [
            f"{Decimal(data[minor]).scaleb(-found.currency_scale):.{found.currency_scale}f}"
            for minor in CSV_DECIMAL_COLUMNS.values()
        ]
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS] + decimals)
    return out.getvalue()
