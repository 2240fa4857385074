"""A small catalog of listings, English, Chinese and mixed, the same on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.listings.schemas import ListingPublic
from marketplace.search import SearchDocument
from marketplace.search import service as search

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def wide(text: str) -> str:
    """``text`` in full-width forms: ASCII letters, digits and punctuation (U+FF01 to U+FF5E)
    and the ideographic space."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def doc(listing_id: int, title: str, **fields: Any) -> SearchDocument:
    """A visible listing of asset ``listing_id``, created ``listing_id`` hours after T0."""
    values: dict[str, Any] = {
        "listing_id": listing_id,
        "asset_id": listing_id,
        "title": title,
        "created_at": T0 + timedelta(hours=listing_id),
        "visible": True,
    }
    values.update(fields)
    return SearchDocument.model_validate(values)


CATALOG = [
    doc(
        1,
        "杭州市空气质量监测数据",
        description="杭州市各监测站点每小时的PM2.5、PM10和臭氧浓度。",
        keywords=["空气质量", "环境监测"],
        columns=["station", "city", "pm25", "ts"],
        theme="environment",
        classification="general",
        update_frequency="daily",
        purposes=["research", "commercial"],
        headline_minor=50_000,
        quality_score=92.5,
    ),
    doc(
        2,
        "Beijing air quality hourly readings",
        description="Hourly PM2.5 readings from the monitoring stations of Beijing.",
        keywords=["air quality", "pollution"],
        columns=["stationName", "pm25", "timestamp"],
        theme="environment",
        classification="general",
        update_frequency="continuous",
        purposes=["research"],
        headline_minor=120_000,
        quality_score=88.0,
    ),
    doc(
        3,
        "上海市交通流量数据",
        description="主要道路每五分钟的车流量与平均车速。",
        keywords=["交通", "道路"],
        columns=["road_id", "flow", "speed_kmh", "ts"],
        theme="transport",
        classification="important",
        update_frequency="continuous",
        purposes=["commercial", "internal_analytics"],
        headline_minor=30_000,
        quality_score=75.0,
    ),
    doc(
        4,
        "深圳房价 Shenzhen housing prices",
        description="Monthly second-hand housing prices by district, 按区统计的二手房价格。",
        keywords=["房地产", "real estate"],
        columns=["district", "price_per_m2", "month"],
        theme="economy",
        classification="general",
        update_frequency="monthly",
        purposes=["research"],
        headline_minor=None,  # negotiable
        quality_score=60.0,
    ),
    doc(
        5,
        "Global weather observations",
        description="Temperature, wind and humidity; air quality is not included.",
        keywords=["weather", "climate"],
        columns=["station", "temperature", "wind_speed"],
        theme="environment",
        classification="general",
        update_frequency="daily",
        purposes=["research", "ai_training"],
        headline_minor=80_000,
        quality_score=None,
    ),
    doc(
        6,
        wide("杭州空气质量历史数据(已下架)"),
        keywords=["空气质量"],
        theme="environment",
        headline_minor=10_000,
        quality_score=99.0,
        visible=False,  # the asset is delisted
    ),
    doc(
        7,
        wide("Full-width COVID 病例数据"),
        description=wide("COVID-19 cases per province, written in full-width characters."),
        keywords=["疫情"],
        columns=[wide("province"), wide("cases")],
        theme="health",
        classification="important",
        update_frequency="weekly",
        purposes=["public_service"],
        headline_minor=20_000,
        quality_score=81.0,
    ),
    doc(
        8,
        "Air quality index of Chinese cities 中国城市空气质量指数",
        description="Daily AQI for 300 cities.",
        keywords=["AQI"],
        columns=["city", "aqi", "date"],
        theme="environment",
        classification="general",
        update_frequency="daily",
        purposes=["research", "commercial"],
        headline_minor=50_000,
        quality_score=85.0,
    ),
]


def load(session: Session, docs: list[SearchDocument] | None = None) -> None:
    for d in CATALOG if docs is None else docs:
        search.index(session, d)
    session.commit()


def index_listing(engine: Engine, listing: ListingPublic | dict[str, Any], **words: Any) -> None:
    """Put a listing made through the API in the index with these words (title, keywords …),
    as the listings domain does on every change."""
    shown = ListingPublic.model_validate(listing)
    doc = SearchDocument(
        listing_id=shown.id,
        asset_id=shown.asset_id,
        headline_minor=shown.headline_minor,
        purposes=[p.value for p in shown.terms.purposes],
        created_at=shown.created_at,
        visible=shown.available,
        under_objection=shown.under_objection,
        **{"title": shown.asset_title or "", **words},
    )
    with Session(engine) as session:
        search.index(session, doc)
        session.commit()
