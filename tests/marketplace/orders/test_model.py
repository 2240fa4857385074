"""Model check (issue 16, point 2): a Hypothesis state machine drives the real books and order
services on the test database (SQLite, and PostgreSQL when configured) against a model small
enough to be obviously right: per organisation an available and a held balance, the exchange's
fee revenue, and each order's state.

Rules: deposit and withdraw (``POST /books/deposits``, ``/books/withdrawals`` with the simulated
provider, which confirms at once), place, buy (place and pay), pay, cancel and accept (the order
endpoints), deliver (``orders.service.record_delivery``, as the delivery domain calls it),
expire (``settlement.expire_order``, as the settlement job calls it), and a dispute's executed
ruling (``mark_disputed``, then the books' ``release``, ``refund`` or ``split`` and
``close_dispute``, as the disputes' execution job calls them). A rule whose request the model
says must be refused checks that it is, and that nothing changed.

After every step: the books sum to zero with no balance but clearing negative (the
reconciliation), every balance the model knows equals the service's, the fee revenue moved as
the model says, and every order's state equals the model's. Bounded by ``max_examples`` and
``stateful_step_count``, derandomized so that CI runs the same examples every time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import Session

from ledger.models import utc_now
from marketplace.books import service as books
from marketplace.books.models import AccountKind
from marketplace.books.service.accounts import account
from marketplace.books.service.statements import reconcile
from marketplace.db import unit_of_work
from marketplace.errors import DatabourseError
from marketplace.orders import service as orders
from marketplace.orders.models import Order
from marketplace.orders.service.settlement import expire_order
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import on_sale

PRICES_MINOR = (125_000, 39)  # 39 fen owes no fee at 2.5 %: the rounding's edge
AMOUNTS_MINOR = st.integers(min_value=1, max_value=300_000)
ORDER = st.integers(min_value=0, max_value=10_000)  # an index into the orders placed so far
HOLDING = ("paid", "delivered")  # the states whose escrow hold is pending
CURRENCY = "CNY"
DISPUTE_ACTOR = "0x" + "00" * 20


@dataclass
class ModelOrder:
    buyer: int  # organisation id
    price_minor: int
    status: str


@dataclass(frozen=True)
class World:
    """What every example shares: the app, its runtime, a supplier with two listings and two
    buyers (each example starts from the balances they have then)."""

    api: TestClient
    runtime: Runtime
    supplier: Party
    buyers: tuple[Party, Party]
    listings: tuple[tuple[int, int], ...]  # (listing id, price)


class Exchange(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.fee_bp = world.runtime.settings.exchange_fee_bp
        orgs = [world.supplier.organization_id, *(b.organization_id for b in world.buyers)]
        self.available: dict[int, int] = {}
        self.held: dict[int, int] = {}
        with Session(world.runtime.engine) as session:
            for org in orgs:
                found = books.balance(session, org_id=org, currency=CURRENCY)
                self.available[org], self.held[org] = found.available_minor, found.held_minor
            self.fee_revenue = self._fee_revenue(session)
        self.orders: dict[int, ModelOrder] = {}

    # ------------------------------------------------------------------ helpers

    def _fee_revenue(self, session: Session) -> int:
        return account(session, AccountKind.fee_revenue, CURRENCY).balance_minor

    def _post(self, who: Party, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {**who.headers, "Idempotency-Key": uuid.uuid4().hex}
        return self.world.api.post(path, json=body, headers=headers)

    def _order(self, index: int, *wanted: str) -> tuple[int, ModelOrder] | None:
        """Mostly an order in one of the ``wanted`` states (so that chains of steps reach
        far), one time in four any order (so that refusals are tried too)."""
        fitting = sorted(i for i, o in self.orders.items() if o.status in wanted)
        pool = fitting if fitting and index % 4 else sorted(self.orders)
        if not pool:
            return None
        order_id = pool[index // 4 % len(pool)]
        return order_id, self.orders[order_id]

    def _buyer(self, order: ModelOrder) -> Party:
        return next(b for b in self.world.buyers if b.organization_id == order.buyer)

    def _fee(self, price_minor: int) -> int:
        return price_minor * self.fee_bp // 10_000

    def _refused(self, response: Any, code: str) -> None:
        assert response.status_code == 409, response.text
        assert response.json()["error"] == code, response.text

    def _held(self, order: ModelOrder) -> None:
        self.available[order.buyer] -= order.price_minor
        self.held[order.buyer] += order.price_minor
        order.status = "paid"

    # ------------------------------------------------------------------ money in and out

    @rule(who=st.integers(0, 1), amount=AMOUNTS_MINOR)
    def deposit(self, who: int, amount: int) -> None:
        buyer = self.world.buyers[who]
        r = self._post(buyer, "/books/deposits", {"amount_minor": amount})
        assert r.status_code == 201, r.text
        paid_in = self.world.api.get(f"/books/payments/{r.json()['id']}", headers=buyer.headers)
        assert paid_in.json()["status"] == "confirmed", paid_in.text
        self.available[buyer.organization_id] += amount

    @rule(who=st.integers(0, 1), amount=AMOUNTS_MINOR)
    def withdraw(self, who: int, amount: int) -> None:
        buyer = self.world.buyers[who]
        r = self._post(buyer, "/books/withdrawals", {"amount_minor": amount})
        if amount > self.available[buyer.organization_id]:
            self._refused(r, "insufficient_funds")
            return
        assert r.status_code == 201, r.text
        paid_out = self.world.api.get(f"/books/payments/{r.json()['id']}", headers=buyer.headers)
        assert paid_out.json()["status"] == "confirmed", paid_out.text
        self.available[buyer.organization_id] -= amount

    # ------------------------------------------------------------------ orders

    @rule(who=st.integers(0, 1), listing=st.integers(0, len(PRICES_MINOR) - 1))
    def place(self, who: int, listing: int) -> None:
        buyer = self.world.buyers[who]
        listing_id, price = self.world.listings[listing]
        r = self._post(buyer, "/orders", {"listing_id": listing_id, "purpose": "research"})
        assert r.status_code == 201, r.text
        self.orders[r.json()["id"]] = ModelOrder(buyer.organization_id, price, "placed")

    @rule(who=st.integers(0, 1), listing=st.integers(0, len(PRICES_MINOR) - 1))
    def buy(self, who: int, listing: int) -> None:
        buyer = self.world.buyers[who]
        listing_id, price = self.world.listings[listing]
        body = {"listing_id": listing_id, "purpose": "research"}
        r = self._post(buyer, "/orders/purchase", body)
        if price > self.available[buyer.organization_id]:
            self._refused(r, "insufficient_funds")  # and no order: the model has none either
            return
        assert r.status_code == 201, r.text
        order = ModelOrder(buyer.organization_id, price, "placed")
        self._held(order)
        self.orders[r.json()["id"]] = order

    @rule(index=ORDER)
    def pay(self, index: int) -> None:
        found = self._order(index, "placed")
        if found is None:
            return
        order_id, order = found
        r = self._post(self._buyer(order), f"/orders/{order_id}/pay")
        if order.status != "placed":
            self._refused(r, "order_state")
        elif order.price_minor > self.available[order.buyer]:
            self._refused(r, "insufficient_funds")
        else:
            assert r.status_code == 200, r.text
            self._held(order)

    @rule(index=ORDER)
    def cancel(self, index: int) -> None:
        found = self._order(index, "placed")
        if found is None:
            return
        order_id, order = found
        path = f"/orders/{order_id}/cancel"
        r = self.world.api.post(path, headers=self._buyer(order).headers)
        if order.status != "placed":
            self._refused(r, "order_state")
            return
        assert r.status_code == 200, r.text
        order.status = "cancelled"

    @rule(index=ORDER)
    def expire(self, index: int) -> None:
        """The settlement job's expiry of an order its buyer never paid."""
        found = self._order(index, "placed")
        if found is None:
            return
        order_id, order = found
        refused = self._in_service(
            lambda s: expire_order(s, self.world.runtime.settings, _row(s, order_id), now=utc_now())
        )
        if order.status != "placed":
            assert refused == "order_state"
            return
        assert refused is None
        order.status = "expired"

    @rule(index=ORDER)
    def deliver(self, index: int) -> None:
        """The delivery domain's first download of a paid order."""
        found = self._order(index, "paid")
        if found is None:
            return
        order_id, order = found
        refused = self._in_service(lambda s: orders.record_delivery(s, order_id=order_id))
        if order.status not in ("paid", "delivered", "settled"):
            assert refused == "order_state"
            return
        assert refused is None  # a later download of a delivered order changes nothing
        if order.status == "paid":
            order.status = "delivered"

    @rule(index=ORDER)
    def accept(self, index: int) -> None:
        found = self._order(index, "delivered")
        if found is None:
            return
        order_id, order = found
        r = self._post(self._buyer(order), f"/orders/{order_id}/accept")
        if order.status != "delivered":
            self._refused(r, "order_state")
            return
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "settled", r.text
        self._release(order)
        order.status = "settled"

    def _release(self, order: ModelOrder) -> None:
        fee = self._fee(order.price_minor)
        self.held[order.buyer] -= order.price_minor
        self.available[self.world.supplier.organization_id] += order.price_minor - fee
        self.fee_revenue += fee

    @rule(
        index=ORDER,
        outcome=st.sampled_from(["release", "refund", "split"]),
        supplier_bp=st.integers(0, 10_000),
    )
    def rule_dispute(self, index: int, outcome: str, supplier_bp: int) -> None:
        """A dispute's ruling executed on a paid or delivered order: what the execution job
        asks of orders and of the books, in one transaction."""
        found = self._order(index, *HOLDING)
        if found is None or found[1].status not in HOLDING:
            return
        order_id, order = found
        fee = self._fee(order.price_minor)
        gross = order.price_minor * supplier_bp // 10_000
        fee_share = fee * supplier_bp // 10_000
        refused = self._in_service(
            lambda s: _execute(s, order_id, outcome, payee=gross - fee_share, fee=fee_share)
        )
        assert refused is None
        self.held[order.buyer] -= order.price_minor
        supplier = self.world.supplier.organization_id
        if outcome == "release":
            self.available[supplier] += order.price_minor - fee
            self.fee_revenue += fee
            order.status = "settled"
        elif outcome == "refund":
            self.available[order.buyer] += order.price_minor
            order.status = "refunded"
        else:
            self.available[supplier] += gross - fee_share
            self.fee_revenue += fee_share
            self.available[order.buyer] += order.price_minor - gross
            order.status = "partially_refunded"

    def _in_service(self, work: Any) -> str | None:
        """Run ``work`` in one unit of work; the error code it was refused with, if any (its
        transaction then rolled back)."""
        try:
            with unit_of_work(self.world.runtime.engine) as session:
                work(session)
        except DatabourseError as exc:
            return exc.code
        return None

    # ------------------------------------------------------------------ invariants

    @invariant()
    def books_reconcile(self) -> None:
        with Session(self.world.runtime.engine) as session:
            report = reconcile(session)
            assert report.ok, report.problems  # zero sum, no negative balance but clearing
            assert report.total_minor == 0

    @invariant()
    def balances_are_the_models(self) -> None:
        with Session(self.world.runtime.engine) as session:
            for org in self.available:
                found = books.balance(session, org_id=org, currency=CURRENCY)
                assert (found.available_minor, found.held_minor) == (
                    self.available[org],
                    self.held[org],
                ), org
            assert self._fee_revenue(session) == self.fee_revenue

    @invariant()
    def orders_are_the_models(self) -> None:
        with Session(self.world.runtime.engine) as session:
            for order_id, order in self.orders.items():
                assert _row(session, order_id).status == order.status, order_id


def _row(session: Session, order_id: int) -> Order:
    row = session.get(Order, order_id)
    assert row is not None
    return row


def _execute(session: Session, order_id: int, outcome: str, *, payee: int, fee: int) -> None:
    """The execution job's part for an order: disputed, the hold settled, the order closed.
    ``dispute_id`` names the order here: no dispute row is the subject of this test."""
    now = utc_now()
    facts = orders.mark_disputed(
        session, order_id, dispute_id=order_id, actor=DISPUTE_ACTOR, now=now
    )
    assert facts.hold_id is not None
    reference = f"order:{order_id}"
    if outcome == "release":
        books.release(
            session, hold_id=facts.hold_id, payee_org_id=facts.supplier_organization_id,
            fee_minor=facts.fee_minor or 0, reference=reference,
        )  # fmt: skip
    elif outcome == "refund":
        books.refund(session, hold_id=facts.hold_id, reference=reference)
    else:
        books.split(
            session, hold_id=facts.hold_id, payee_org_id=facts.supplier_organization_id,
            payee_minor=payee, exchange_minor=fee, reference=reference,
        )  # fmt: skip
    orders.close_dispute(
        session, order_id, outcome=outcome, dispute_id=order_id, actor=DISPUTE_ACTOR, now=now
    )


@pytest.fixture
def world(  # noqa: PLR0917 -- pytest passes fixtures by name
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party, rival: Party
) -> World:
    listings = []
    for price in PRICES_MINOR:
        listing = on_sale(api, supplier, ops, price_model={"kind": "fixed", "amount_minor": price})
        listings.append((int(listing["id"]), price))
    return World(api, asset_runtime, supplier, (buyer, rival), tuple(listings))


def test_books_and_orders_follow_the_model(world: World) -> None:
    class OnThisWorld(Exchange):
        def __init__(self) -> None:
            super().__init__(world)

    run_state_machine_as_test(
        OnThisWorld,
        settings=settings(
            max_examples=10,
            stateful_step_count=25,
            derandomize=True,
            deadline=None,
            database=None,
            # No shrinking: a failure prints its steps; shrinking them costs minutes of CI.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
