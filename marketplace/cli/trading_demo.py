"""The trading part of ``bourse demo``, through the Python client only: the supplier lists the
demo asset at a fixed price and then, exclusively, for auction; anyone finds it in the catalog (in
English and in Chinese) without logging in; a buyer's demand is matched to it and the supplier
is notified; the supplier quotes, the buyer accepts (an order is placed); the buyer deposits,
pays the order into escrow, downloads the data (checked against the ``delivery.served`` entry),
signs its receipt and accepts: the order settles, the supplier is paid the price minus the
exchange's fee and the books reconcile to zero; two buyers bid in a sealed-bid auction, which is
resolved at the second price.

Each step yields ``(who, line)``: the party speaking and what it saw."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from marketplace.client import Databourse
from marketplace.money import amount_text

PURPOSE = "research"
FIXED_PRICE_MINOR = 50_000  # 500.00 CNY
QUOTE_PRICE_MINOR = 42_000  # 420.00 CNY: a price for this buyer
RESERVE_MINOR = 100_000
BIDS_MINOR = (180_000, 150_000)  # the first buyer wins and pays the second's bid
# The seconds the demo adds to an exchange's shortest auction window: the clocks of the demo
# and the exchange differ by the time a request takes.
WINDOW_SLACK_S = 3

Said = tuple[str, str]


def _money(minor: int | None, currency: str, scale: int) -> str:
    return amount_text(minor, currency, scale)


def _terms(*, exclusive: bool) -> dict[str, Any]:
    return {
        "purposes": [PURPOSE],
        "licence_duration_days": 365,
        "territory": ["CN"],
        "redistribution": False,
        "derivatives": True,
        "max_downloads": 5,
        "exclusive": exclusive,
        "delivery_mode": "download",
        "acceptance_window_h": 72,
        "dispute_window_h": 168,
    }


def _why(explanation: Any) -> str:
    matched = [
        f.column if f.via == "name" else f"{f.required}→{f.column} (synonym)"
        for f in explanation.fields_matched
    ]
    quality = explanation.quality
    return "; ".join(
        [
            f"fields {', '.join(matched) or 'none'} "
            f"(missing {', '.join(explanation.fields_missing) or 'none'})",
            f"price {explanation.price.verdict}",
            f"quality {'unknown' if quality.score is None else quality.score}"
            f"{' meets the minimum' if quality.meets else ' below the minimum'}",
            "purpose permitted"
            if explanation.purpose.permitted
            else f"purpose refused: {explanation.purpose.reason}",
        ]
    )


def demo(
    anyone: Databourse,
    supplier: Databourse,
    buyers: tuple[Databourse, Databourse],
    asset_id: int,
    *,
    auction_window_s_min: int,
    operator: Databourse,
    workdir: Path,
) -> Iterator[Said]:
    """Walk through trading on the exchange: ``anyone`` is a client not logged in; the
    supplier, both buyers (verified, with the buyer role) and the operator are logged in;
    ``asset_id`` is the supplier's listed asset; downloads go to ``workdir``.
    ``auction_window_s_min`` is the exchange's shortest auction window: the demo waits it out.
    The caller closes the clients."""
    buyer = buyers[0]

    # A listing at a fixed price for research.
    fixed = supplier.listings.create(
        asset_id, _terms(exclusive=False), {"kind": "fixed", "amount_minor": FIXED_PRICE_MINOR}
    )
    yield "supplier", f"listing {fixed.id} of asset {asset_id}, signed by {fixed.signer}:"
    yield "supplier", f"  price: {fixed.price_plain}"
    for line in fixed.terms_plain:
        yield "supplier", f"  terms: {line}"

    # Search, without logging in.
    scale = anyone.currency().scale
    for query in ("fruit prices", "水果"):
        page = anyone.search.listings(query)
        found = [item.id for item in page.items]
        if fixed.id not in found:
            raise RuntimeError(f"search {query!r} did not find listing {fixed.id}")
        yield (
            "anyone",
            (
                f"search {query!r} (no login): {len(found)} listing(s) {found}; "
                f"listing {fixed.id} at {page.items[found.index(fixed.id)].price_plain}"
            ),
        )

    # A demand, its matches and the supplier's notification.
    demand = buyer.demands.post(
        title="Daily fruit prices by market",
        description="wholesale fruit prices per market and day, for a price index study",
        keywords=["fruit", "prices"],
        fields=[
            {"name": "date", "type": "date"},
            {"name": "market", "type": "string"},
            {"name": "price_fen"},
        ],
        purpose=PURPOSE,
        budget_min_minor=10_000,
        budget_max_minor=60_000,
        deadline=datetime.now(UTC) + timedelta(days=7),
    )
    yield (
        "buyer",
        (
            f"demand {demand.id} posted: fields date, market, price_fen; {PURPOSE}; budget "
            f"{_money(demand.budget_min_minor, demand.currency, scale)} to "
            f"{_money(demand.budget_max_minor, demand.currency, scale)}"
        ),
    )
    ranked = buyer.demands.matches(demand.id)
    for match in ranked.matches:
        yield (
            "buyer",
            (
                f"match: listing {match.listing_id} (asset {match.listing.asset_id}) "
                f"score {match.score:.2f}: {_why(match.explanation)}"
            ),
        )
    matched = {m.listing_id for m in ranked.matches}
    if fixed.id not in matched:
        raise RuntimeError(f"demand {demand.id} did not match listing {fixed.id}")
    notes = [
        n
        for n in supplier.inbox.page().items
        if n.kind == "demand.matched" and n.subject == f"demand:{demand.id}"
    ]
    if not notes:
        raise RuntimeError(f"the supplier was not notified of demand {demand.id}")
    yield (
        "supplier",
        f"inbox: {notes[0].kind} about {notes[0].subject} (notification {notes[0].id})",
    )

    # A quote, accepted: the order is placed.
    quote = supplier.quotes.send(
        demand.id,
        listing_id=fixed.id,
        price_minor=QUOTE_PRICE_MINOR,
        valid_until=datetime.now(UTC) + timedelta(days=2),
    )
    yield (
        "supplier",
        (
            f"quote {quote.id} sent for demand {demand.id}: "
            f"{_money(quote.price_minor, quote.currency, scale)} on listing {fixed.id}'s terms"
        ),
    )
    accepted = buyer.quotes.accept(quote.id)
    if accepted.order_id is None:
        raise RuntimeError(f"quote {quote.id} was accepted but no order was placed")
    order = buyer.orders.get(accepted.order_id)
    yield "buyer", f"quote {quote.id} accepted: order {order.id}"
    yield (
        "buyer",
        (
            f"order {order.id}: {_money(order.price_minor, order.currency, scale)} for listing "
            f"{order.listing_id} ({order.purpose}), from {order.source} {order.source_id}; "
            f"state {order.status} (journal seq {order.placed_seq})"
        ),
    )
    yield from _settle(supplier, buyer, operator, order.id, workdir)

    # An exclusive licence must be the asset's only open listing: the supplier withdraws the
    # research offer (its order stands) and offers the asset exclusively, for auction.
    supplier.listings.withdraw(fixed.id)
    exclusive = supplier.listings.create(asset_id, _terms(exclusive=True), {"kind": "negotiable"})
    yield (
        "supplier",
        f"listing {fixed.id} withdrawn; listing {exclusive.id}: an exclusive licence, for auction",
    )
    yield from _auction(
        anyone, supplier, buyers, exclusive.id, scale=scale,
        window_s=auction_window_s_min + WINDOW_SLACK_S,
    )  # fmt: skip


def _settle(
    supplier: Databourse, buyer: Databourse, operator: Databourse, order_id: int, workdir: Path
) -> Iterator[Said]:
    """The buyer deposits, pays the order into escrow, downloads (verified), signs the receipt
    and accepts; the supplier is paid and the books reconcile."""
    order = buyer.orders.get(order_id)
    scale = buyer.currency().scale
    before = supplier.books.balance().available_minor
    paid_in = buyer.books.deposit(order.price_minor)
    yield (
        "buyer",
        f"deposited {_money(paid_in.amount_minor, paid_in.currency, scale)}: {paid_in.status}",
    )
    paid = buyer.orders.pay(order.id)
    balance = buyer.books.balance()
    yield (
        "buyer",
        (
            f"order {paid.id} paid: {_money(paid.price_minor, paid.currency, scale)} held in "
            "escrow "
            f"(available {_money(balance.available_minor, balance.currency, scale)}, held "
            f"{_money(balance.held_minor, balance.currency, scale)})"
        ),
    )
    licence = buyer.delivery.licence_for_order(order.id)
    got = buyer.delivery.download(licence.id, workdir / "fruit-prices.csv")
    yield (
        "buyer",
        (
            f"licence {licence.id}: downloaded {got.size_bytes} bytes, sha256 {got.sha256[:16]}… "
            f"matches delivery.served entry {got.served_seq}"
        ),
    )
    receipt = buyer.delivery.receipt(licence.id, served_seq=got.served_seq, sha256=got.sha256)
    yield "buyer", f"receipt signed by {receipt.signer} (journal seq {receipt.journal_seq})"
    settled = buyer.orders.accept(order.id)
    if settled.status != "settled":
        raise RuntimeError(f"order {order.id} was accepted but is {settled.status}")
    fee = settled.fee_minor or 0
    payout = _money(settled.price_minor - fee, settled.currency, scale)
    yield (
        "buyer",
        (
            f"order {settled.id} accepted and settled: {payout} to the supplier, "
            f"{_money(fee, settled.currency, scale)} exchange fee"
        ),
    )
    after = supplier.books.balance()
    if after.available_minor - before != settled.price_minor - fee:
        raise RuntimeError(f"the supplier was not paid for order {order.id}")
    yield (
        "supplier",
        (
            f"balance: available {_money(after.available_minor, after.currency, scale)} (was "
            f"{_money(before, after.currency, scale)}), held "
            f"{_money(after.held_minor, after.currency, scale)}"
        ),
    )
    books = operator.books.reconcile()
    if not books.ok:
        raise RuntimeError(f"the books do not reconcile: {books.problems}")
    yield (
        "operator",
        (
            f"books reconcile: {books.accounts} accounts, {books.transfers} transfers, total "
            f"{_money(books.total_minor, after.currency, scale)}"
        ),
    )


def _auction(
    anyone: Databourse,
    supplier: Databourse,
    buyers: tuple[Databourse, Databourse],
    listing_id: int,
    *,
    scale: int,
    window_s: int,
) -> Iterator[Said]:
    """A sealed-bid auction of the exclusive licence, resolved at the second price."""
    buyer, rival = buyers
    window = timedelta(seconds=window_s)
    commit_deadline = datetime.now(UTC) + window
    auction = supplier.auctions.open(
        listing_id,
        reserve_minor=RESERVE_MINOR,
        commit_deadline=commit_deadline,
        reveal_deadline=commit_deadline + window,
    )
    yield (
        "supplier",
        (
            f"auction {auction.id} of listing {listing_id} opened: reserve "
            f"{_money(auction.reserve_minor, auction.currency, scale)}, deposit "
            f"{_money(auction.deposit_minor, auction.currency, scale)}; sealed bids until "
            f"{auction.commit_deadline:%H:%M:%S}, "
            f"reveals until {auction.reveal_deadline:%H:%M:%S} UTC"
        ),
    )
    salts: list[str] = []
    for who, client, amount in (("buyer", buyer, BIDS_MINOR[0]), ("rival", rival, BIDS_MINOR[1])):
        address = client.identity.me().account.address
        bid, salt = client.auctions.commit(
            auction.id, bidder=address, amount_minor=amount, purpose=PURPOSE
        )
        salts.append(salt)
        yield who, f"sealed bid {bid.id} committed: only its hash {bid.commitment[:18]}… is sent"
    yield from _wait(auction.commit_deadline, "the commit deadline")
    for (who, client, amount), salt in zip(
        (("buyer", buyer, BIDS_MINOR[0]), ("rival", rival, BIDS_MINOR[1])), salts, strict=True
    ):
        bid = client.auctions.reveal(auction.id, amount_minor=amount, salt=salt)
        yield who, f"bid {bid.id} revealed: {_money(bid.amount_minor, auction.currency, scale)}"
    yield from _wait(auction.reveal_deadline, "the reveal deadline")
    resolved = anyone.auctions.resolve(auction.id)
    result = resolved.result
    if result is None or result.outcome != "sold":
        raise RuntimeError(f"auction {auction.id} did not sell: {resolved.model_dump_json()}")
    yield (
        "anyone",
        (
            f"auction {auction.id} resolved (no login): won by organisation "
            f"{result.winner_organization_id} (bid {result.winner_bid_id}), who pays the "
            f"second-highest bid (Vickrey): {_money(result.price_minor, auction.currency, scale)}; "
            f"journal seq {result.resolved_seq}"
        ),
    )
    if result.order_id is None:
        yield "anyone", f"no order for the winner: {result.order_refused}"
        return
    won = buyer.orders.get(result.order_id)
    yield (
        "buyer",
        (
            f"order {won.id}: {_money(won.price_minor, won.currency, scale)} for listing "
            f"{won.listing_id}, from {won.source} {won.source_id}; state {won.status}"
        ),
    )


def _wait(until: datetime, what: str) -> Iterator[Said]:
    left = (until - datetime.now(UTC)).total_seconds()
    if left > 0:
        yield "clock", f"waiting {left:.0f} s for {what} …"
        time.sleep(left + 0.2)
