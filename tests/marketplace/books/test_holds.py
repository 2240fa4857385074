"""The escrow API other domains call: hold, release, refund, balance, on both databases."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.books import service
from marketplace.books.errors import (
    HoldNotFound,
    HoldStateConflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransfer,
    TransferIdReused,
    UnknownCurrency,
)
from marketplace.books.models import BookTransfer, Hold
from marketplace.books.service.statements import reconcile
from tests.marketplace.books.conftest import fund


def _kinds(session: Session) -> list[str]:
    query = select(JournalEntry).order_by(col(JournalEntry.seq))
    return [e.kind for e in session.exec(query).all()]


def test_hold_then_release_pays_the_payee_less_the_fee(
    session: Session, orgs: Callable[[str], int]
) -> None:
    buyer, seller = orgs("Buyer"), orgs("Seller")
    fund(session, buyer, 10_000, "dep-1")
    held = service.hold(
        session, org_id=buyer, amount_minor=7_000, currency="CNY", reference="order:1",
        transfer_id="order-1-pay",
    )  # fmt: skip
    assert held.status == "pending"
    assert service.balance(session, org_id=buyer, currency="CNY").model_dump() == {
        "organization_id": buyer, "currency": "CNY", "available_minor": 3_000,
        "held_minor": 7_000, "withdrawing_minor": 0,
    }  # fmt: skip
    done = service.release(
        session, hold_id=held.id, payee_org_id=seller, fee_minor=350, reference="order:1"
    )
    session.commit()
    assert done.status == "posted"
    assert done.closed_seq is not None
    assert done.closed_seq > held.held_seq
    assert service.balance(session, org_id=buyer, currency="CNY").held_minor == 0
    assert service.balance(session, org_id=seller, currency="CNY").available_minor == 6_650
    assert _kinds(session) == ["payment.deposited", "escrow.held", "settlement.released"]
    report = reconcile(session)
    assert report.ok, report.problems
    assert report.total_minor == 0


def test_refund_returns_the_hold_in_full_and_a_closed_hold_stays_closed(
    session: Session, orgs: Callable[[str], int]
) -> None:
    buyer, seller = orgs("Buyer"), orgs("Seller")
    fund(session, buyer, 500, "dep-1")
    held = service.hold(
        session, org_id=buyer, amount_minor=500, currency="CNY", reference="order:2",
        transfer_id="order-2-pay",
    )  # fmt: skip
    assert service.refund(session, hold_id=held.id, reference="cancelled").status == "voided"
    session.commit()
    assert service.balance(session, org_id=buyer, currency="CNY").available_minor == 500
    with pytest.raises(HoldStateConflict, match="voided"):
        service.release(session, hold_id=held.id, payee_org_id=seller, fee_minor=0, reference="x")
    with pytest.raises(HoldStateConflict, match="voided"):
        service.refund(session, hold_id=held.id, reference="again")
    with pytest.raises(HoldNotFound):
        service.refund(session, hold_id=held.id + 99, reference="nothing")
    assert _kinds(session) == ["payment.deposited", "escrow.held", "escrow.refunded"]


def test_insufficient_funds_writes_nothing(session: Session, orgs: Callable[[str], int]) -> None:
    buyer = orgs("Buyer")
    fund(session, buyer, 100, "dep-1")
    session.commit()
    with pytest.raises(InsufficientFunds, match="insufficient funds") as caught:
        service.hold(
            session, org_id=buyer, amount_minor=101, currency="CNY", reference="order:3",
            transfer_id="order-3-pay",
        )  # fmt: skip
    assert caught.value.status == 409
    assert caught.value.code == "insufficient_funds"
    session.flush()
    assert session.exec(select(Hold)).all() == []
    assert len(session.exec(select(BookTransfer)).all()) == 1
    assert _kinds(session) == ["payment.deposited"]


def test_a_repeated_transfer_id_returns_the_first_hold_or_is_refused(
    session: Session, orgs: Callable[[str], int]
) -> None:
    buyer = orgs("Buyer")
    fund(session, buyer, 1_000, "dep-1")
    args = {"org_id": buyer, "currency": "CNY", "reference": "order:4", "transfer_id": "o4"}
    first = service.hold(session, amount_minor=400, **args)  # type: ignore[arg-type]
    again = service.hold(session, amount_minor=400, **args)  # type: ignore[arg-type]
    assert again == first
    assert service.balance(session, org_id=buyer, currency="CNY").held_minor == 400
    with pytest.raises(TransferIdReused):
        service.hold(session, amount_minor=401, **args)  # type: ignore[arg-type]
    with pytest.raises(TransferIdReused):  # a deposit's id is not a hold's
        service.hold(
            session, org_id=buyer, amount_minor=1, currency="CNY", reference="x",
            transfer_id="dep-1",
        )  # fmt: skip


BAD_HOLDS = [
    ((0, "CNY", "t"), InvalidAmount),
    ((-5, "CNY", "t"), InvalidAmount),
    ((2**63, "CNY", "t"), InvalidAmount),
    ((5, "USD", "t"), UnknownCurrency),
    ((5, "CNY", "has:colon"), InvalidTransfer),
    ((5, "CNY", ""), InvalidTransfer),
]


@pytest.mark.parametrize(("hold", "error"), BAD_HOLDS)
def test_bad_holds_are_refused(
    session: Session,
    orgs: Callable[[str], int],
    hold: tuple[int, str, str],
    error: type[Exception],
) -> None:
    buyer = orgs("Buyer")
    fund(session, buyer, 100, "dep-1")
    amount, currency, transfer_id = hold
    with pytest.raises(error):
        service.hold(
            session, org_id=buyer, amount_minor=amount, currency=currency, reference="r",
            transfer_id=transfer_id,
        )  # fmt: skip
    assert service.balance(session, org_id=buyer, currency="CNY").held_minor == 0


@pytest.mark.parametrize("fee", [-1, 6])
def test_a_fee_outside_the_hold_is_refused(
    session: Session, orgs: Callable[[str], int], fee: int
) -> None:
    buyer, seller = orgs("Buyer"), orgs("Seller")
    fund(session, buyer, 100, "dep-1")
    held = service.hold(
        session, org_id=buyer, amount_minor=5, currency="CNY", reference="r", transfer_id="t"
    )
    with pytest.raises(InvalidTransfer, match="fee"):
        service.release(session, hold_id=held.id, payee_org_id=seller, fee_minor=fee, reference="r")
    assert service.get_hold(session, held.id).status == "pending"


def test_a_balance_past_64_bits_is_refused(session: Session, orgs: Callable[[str], int]) -> None:
    buyer = orgs("Buyer")
    fund(session, buyer, 2**63 - 1, "dep-1")
    with pytest.raises(InvalidAmount, match="past"):
        fund(session, buyer, 1, "dep-2")


def test_journal_entries_carry_commitments_not_amounts(
    session: Session, orgs: Callable[[str], int]
) -> None:
    buyer = orgs("Buyer")
    fund(session, buyer, 123_457, "dep-1")
    service.hold(
        session, org_id=buyer, amount_minor=98_761, currency="CNY", reference="order:9",
        transfer_id="o9",
    )  # fmt: skip
    session.commit()
    entry = session.exec(select(JournalEntry).where(JournalEntry.kind == "escrow.held")).one()
    for amount in ("98761", "123457"):  # as a number, not inside a hex digest
        assert re.search(rf"(?<![0-9a-f]){amount}(?![0-9a-f])", entry.payload_json) is None
    (line,) = json.loads(entry.payload_json)["transfers"]
    transfer = session.exec(select(BookTransfer).where(BookTransfer.transfer_id == "o9")).one()
    assert line == {"transfer_id": "o9", "code": "escrow_hold", "sha256": transfer.record_sha256}
    assert transfer.seq == entry.seq
