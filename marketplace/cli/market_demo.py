"""The populating part of ``bourse demo``, through the Python client only: more suppliers (each a
distinct organisation) register, have approved and list small CSV datasets of their own theme
under different price models; buyers buy and settle several of them; further orders are paid
and disputed, so that the exchange holds one dispute in each status of the lifecycle
(docs/disputes.md) once the demo ends.

The statuses that must stay are reached against the exchange's own windows: a dispute opened
on the demo's exchange (evidence period of seconds) can be ruled a moment later; a ruling made
on an exchange with the default windows stays appealable for days. So ``open_disputes`` runs on
the short-window exchange and ``settle_disputes`` on the long-window one (``bourse demo``
restarts its own exchange between the two). Each step yields ``(who, line)``."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace.cli.assets import DEMO_CHECKLIST
from marketplace.cli.dispute_demo import DISPUTE_WAIT_S_MAX, _poll, wait_until
from marketplace.client import Databourse
from marketplace.money import amount_text

Said = tuple[str, str]

PURPOSE = "research"
# Each party's arbitration fee and the appellant's fee of an exchange left at its defaults
# (limits.arbitration_fee_minor_default, appeal_fee_minor_default): deposited with the price.
FEE_ALLOWANCE_MINOR = 10_000
APPEAL_ALLOWANCE_MINOR = 30_000
EXECUTION_WAIT_S_MAX = 60.0


@dataclass(frozen=True)
class Dataset:
    """A small CSV a supplier registers, and the price model it lists it under."""

    key: str
    title: str
    description: str
    keywords: tuple[str, ...]
    theme: str
    csv: str
    price_model: Mapping[str, Any]


def _rows(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def _fruit_retail() -> str:
    rows = []
    for day in range(1, 11):
        for market, base in (("Beijing", 480), ("Chengdu", 430)):
            for produce, bump in (("cabbage", 0), ("tomato", 260), ("cucumber", 120)):
                rows.append(f"2024-07-{day:02d},{market},{produce},{base + bump + day * 3}")
    return _rows("date,market,produce,price_fen", rows)


def _air_hourly() -> str:
    rows = []
    for hour in range(24):
        for station, base in (("Haidian", 35), ("Chaoyang", 48), ("Pudong", 29)):
            pm25 = base + (hour * 7) % 23
            rows.append(f"2024-07-01T{hour:02d}:00,{station},{pm25},{pm25 + 18},{40 + hour % 9}")
    return _rows("time,station,pm25_ugm3,pm10_ugm3,no2_ugm3", rows)


def _air_daily() -> str:
    rows = [
        f"2024-07-{day:02d},{city},{aqi + day % 7}"
        for day in range(1, 16)
        for city, aqi in (("Beijing", 78), ("Shanghai", 61), ("Guangzhou", 55))
    ]
    return _rows("date,city,aqi", rows)


def _traffic_counts() -> str:
    rows = []
    for hour in range(6, 22):
        for crossing, base in (("Renmin Rd / Jiefang Rd", 820), ("Binhe Ave / Zhongshan Rd", 560)):
            peak = 400 if hour in (8, 18) else 0
            rows.append(f"2024-07-02,{hour:02d}:00,{crossing},{base + peak + hour * 11},{hour % 5}")
    return _rows("date,hour,intersection,vehicles,cyclists_hundreds", rows)


def _traffic_monthly() -> str:
    rows = [
        f"2024-{month:02d},{district},{volume + month * 1200}"
        for month in range(1, 7)
        for district, volume in (("Xuhui", 412_000), ("Minhang", 388_000))
    ]
    return _rows("month,district,vehicles", rows)


SUPPLIER_DATASETS: Mapping[str, tuple[Dataset, ...]] = {
    "supplier": (
        Dataset(
            "vegetables", "Retail vegetable prices",
            "Daily retail vegetable prices at two city markets", ("vegetables", "prices", "蔬菜"),
            "agriculture", _fruit_retail(), {"kind": "fixed", "amount_minor": 12_000},
        ),
    ),
    "air-supplier": (
        Dataset(
            "air-hourly", "Hourly air quality by station",
            "PM2.5, PM10 and NO2 per monitoring station and hour", ("air", "pm2.5", "空气质量"),
            "environment", _air_hourly(), {"kind": "fixed", "amount_minor": 30_000},
        ),
        Dataset(
            "air-daily", "Daily AQI by city (public data)",
            "The daily air quality index of three cities", ("air", "aqi", "空气质量"),
            "environment", _air_daily(),
            {"kind": "public_data", "cost_minor": 8_000, "margin_bp": 1_000, "price_minor": 8_800},
        ),
    ),
    "traffic-supplier": (
        Dataset(
            "traffic-hourly", "Intersection traffic counts",
            "Vehicles and cyclists per hour at two intersections", ("traffic", "counts", "交通"),
            "transport", _traffic_counts(), {"kind": "fixed", "amount_minor": 25_000},
        ),
        Dataset(
            "traffic-monthly", "Monthly traffic by district",
            "Vehicles counted per district and month", ("traffic", "monthly", "交通"),
            "transport", _traffic_monthly(),
            {"kind": "subscription", "amount_minor": 6_000, "period": "month"},
        ),
    ),
}  # fmt: skip

# (buyer, dataset): trades settled, and orders paid then disputed, each status one order.
SETTLED: tuple[tuple[str, str], ...] = (
    ("buyer", "air-hourly"),
    ("rival", "traffic-hourly"),
    ("planner", "vegetables"),
    ("planner", "air-daily"),
)
DISPUTED: Mapping[str, tuple[str, str]] = {
    "ruled": ("buyer", "traffic-hourly"),
    "appealed": ("planner", "traffic-hourly"),
    "final": ("rival", "air-hourly"),
    "open": ("rival", "vegetables"),
}


@dataclass
class Market:
    """What the demo made, by the names it uses."""

    listings: dict[str, int] = field(default_factory=dict)  # dataset key -> listing id
    disputes: dict[str, int] = field(default_factory=dict)  # status meant -> dispute id


def _terms() -> dict[str, Any]:
    return {
        "purposes": [PURPOSE],
        "licence_duration_days": 365,
        "territory": ["CN"],
        "redistribution": False,
        "derivatives": True,
        "max_downloads": 5,
        "exclusive": False,
        "delivery_mode": "download",
        "acceptance_window_h": 72,
        "dispute_window_h": 168,
    }


def list_datasets(
    suppliers: Mapping[str, Databourse], operator: Databourse, workdir: Path, market: Market
) -> Iterator[Said]:
    """Each supplier registers its datasets; the operator approves them; each is listed."""
    for who, datasets in SUPPLIER_DATASETS.items():
        supplier = suppliers[who]
        for data in datasets:
            path = workdir / f"{data.key}.csv"
            path.write_text(data.csv)
            asset = supplier.assets.register(
                {
                    "title": data.title,
                    "description": data.description,
                    "keywords": list(data.keywords),
                    "theme": data.theme,
                    "license": "CC-BY-4.0",
                    "accrual_periodicity": "daily",
                    "languages": ["zh", "en"],
                    "classification": "general",
                    "source_type": "collected",
                    "authority_proof": "collected by our own sensors and staff (demo)",
                }
            )
            supplier.assets.upload_revision(asset.id, path, content_format="csv")
            supplier.assets.submit(asset.id)
            operator.assets.review(asset.id, decision="approved", checklist=DEMO_CHECKLIST)
            supplier.assets.list_in_catalog(asset.id)
            listing = supplier.listings.create(asset.id, _terms(), data.price_model)
            market.listings[data.key] = listing.id
            yield (
                who,
                (
                    f"asset {asset.id} ({data.title}, {data.theme}) approved and listed: "
                    f"listing {listing.id}, {listing.price_plain}"
                ),
            )


def _buy(buyer: Databourse, listing_id: int, extra_minor: int) -> Any:
    """Deposit the price (and ``extra_minor`` for fees) and buy: the order is paid."""
    price = buyer.orders.draft(listing_id, purpose=PURPOSE).price_minor
    buyer.books.deposit(price + extra_minor)
    return buyer.orders.buy(listing_id, purpose=PURPOSE)


def settle_trades(
    buyers: Mapping[str, Databourse], market: Market, workdir: Path
) -> Iterator[Said]:
    """Each pair in SETTLED: bought, downloaded, accepted, settled."""
    scale = next(iter(buyers.values())).currency().scale
    for who, key in SETTLED:
        buyer = buyers[who]
        order = _buy(buyer, market.listings[key], 0)
        licence = buyer.delivery.licence_for_order(order.id)
        buyer.delivery.download(licence.id, workdir / f"{who}-{key}.csv")
        settled = buyer.orders.accept(order.id)
        if settled.status != "settled":
            raise RuntimeError(f"order {order.id} was accepted but is {settled.status}")
        yield (
            who,
            (
                f"order {settled.id} on listing {settled.listing_id}: "
                f"{amount_text(settled.price_minor, settled.currency, scale)}, downloaded, "
                "accepted and settled"
            ),
        )


def open_dispute(
    buyers: Mapping[str, Databourse], market: Market, meant: str
) -> Generator[Said, None, Any]:
    """The buyer of DISPUTED[meant] buys and disputes at once (the escrow is frozen)."""
    who, key = DISPUTED[meant]
    buyer = buyers[who]
    allowance = FEE_ALLOWANCE_MINOR + (APPEAL_ALLOWANCE_MINOR if meant != "open" else 0)
    order = _buy(buyer, market.listings[key], allowance)
    dispute = buyer.disputes.open(
        order.id,
        reason="not_as_described",
        statement=f"The {key} data we paid for does not cover what the listing describes.",
    )
    market.disputes[meant] = dispute.id
    yield (
        who,
        (
            f"order {order.id} paid and disputed: dispute {dispute.id} ({dispute.status}), "
            f"submissions close {dispute.evidence_closes_at:%Y-%m-%d %H:%M:%S} UTC"
        ),
    )
    return dispute


def open_disputes(buyers: Mapping[str, Databourse], market: Market) -> Iterator[Said]:
    """The disputes to be ruled, opened on the exchange with an evidence period of seconds."""
    for meant in ("ruled", "appealed", "final"):
        yield from open_dispute(buyers, market, meant)


def _drawn(client: Databourse, dispute_id: int, round_: int) -> list[int]:
    dispute = client.disputes.get(dispute_id)
    return [a.account_id for a in dispute.assignments if a.round == round_]


def settle_disputes(
    buyers: Mapping[str, Databourse],
    arbitrators: Mapping[int, Databourse],
    market: Market,
) -> Iterator[Said]:
    """On the exchange with long windows: rule one dispute (it stays ruled), rule and appeal
    another with one panel vote (it stays appealed), rule and appeal a third with two agreeing
    votes (final, which the execution job executes at once), and open the last (it stays
    open). ``arbitrators`` maps each arbitrator's account id to its logged-in client."""
    first = buyers[DISPUTED["ruled"][0]].disputes.get(market.disputes["ruled"])
    moment = max(
        buyers[DISPUTED[m][0]].disputes.get(market.disputes[m]).evidence_closes_at
        for m in ("ruled", "appealed", "final")
    )
    if (moment - datetime.now(UTC)).total_seconds() > DISPUTE_WAIT_S_MAX:
        yield (
            "clock",
            (
                f"submissions to disputes from {first.id} close at {moment:%Y-%m-%d %H:%M} UTC "
                "on this exchange: they stay open until then"
            ),
        )
    else:
        yield from wait_until(moment, "submissions to close")
        for meant in ("ruled", "appealed", "final"):
            yield from _rule(buyers, arbitrators, market, meant)
    yield from open_dispute(buyers, market, "open")


def _rule(
    buyers: Mapping[str, Databourse],
    arbitrators: Mapping[int, Databourse],
    market: Market,
    meant: str,
) -> Iterator[Said]:
    buyer = buyers[DISPUTED[meant][0]]
    dispute_id = market.disputes[meant]
    (drawn,) = _drawn(buyer, dispute_id, 1)
    ruled = arbitrators[drawn].disputes.rule(
        dispute_id, outcome="refund", reasons="The listing's description does not match."
    )
    assert ruled.appeal_closes_at is not None
    yield (
        "arbitrator",
        (
            f"account {drawn} ruled dispute {dispute_id}: refund; appeal window until "
            f"{ruled.appeal_closes_at:%Y-%m-%d %H:%M} UTC"
        ),
    )
    if meant == "ruled":
        return
    appealed = buyers[DISPUTED[meant][0]].disputes.appeal(dispute_id)
    panel = _drawn(buyer, dispute_id, 2)
    yield (
        DISPUTED[meant][0],
        f"appealed dispute {dispute_id} ({appealed.status}): panel of accounts {panel} drawn",
    )
    votes = 1 if meant == "appealed" else 2
    for account_id in panel[:votes]:
        voted = arbitrators[account_id].disputes.vote(
            dispute_id, outcome="split", supplier_bp=5_000, reasons="Half the rows are as listed."
        )
        yield (
            "arbitrator",
            f"panel member {account_id} voted split 5000 bp: dispute {dispute_id} {voted.status}",
        )
    if meant == "final":
        yield from _await_execution(buyer, dispute_id)


def _await_execution(buyer: Databourse, dispute_id: int) -> Iterator[Said]:
    _poll(
        lambda: buyer.disputes.get(dispute_id).status == "executed",
        EXECUTION_WAIT_S_MAX,
        f"the execution of dispute {dispute_id}",
    )
    yield (
        "exchange",
        (
            f"the panel's final ruling on dispute {dispute_id} executed at once by the "
            "execution job: a final ruling never waits"
        ),
    )
