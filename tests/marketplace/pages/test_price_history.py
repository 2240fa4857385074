"""The price history chart of comparable trades: where trades and the asking price fall, the
round price scale, the empty and anonymous states, escaping, and the labels, amounts and dates
in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from types import SimpleNamespace

import pytest

from marketplace.money import Currency
from marketplace.pages import i18n
from marketplace.pages.price_history import (
    PLOT_BOTTOM,
    PLOT_LEFT,
    PLOT_RIGHT,
    PLOT_TOP,
    PriceChart,
    nice_step,
    price_chart,
)
from marketplace.pages.templating import environment
from marketplace.valuation.service import TradePrice

DAY = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
ASSET = 7


def trade(
    order_id: int, price_minor: int, days: int, asset_id: int = ASSET, title: str = "Fruit"
) -> TradePrice:
    return TradePrice(order_id, asset_id, title, "listing", price_minor, DAY + timedelta(days=days))


def render(chart: PriceChart | None, *, signed_in: bool = True, locale: str = "en") -> str:
    view = SimpleNamespace(signed_in=signed_in, price_history=chart)
    template = environment().from_string(
        '{% import "price_history.html" as ph %}{{ ph.section(view) }}'
    )
    with i18n.use_locale(locale, Currency("CNY", 2)):
        return template.render(view=view)


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows(html: str) -> list[list[str]]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [
        [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def circles(html: str) -> list[tuple[str, float, float]]:
    return [
        (order, float(x), float(y))
        for order, x, y in re.findall(
            r'<circle class="trade[^"]*" data-order="(\d+)" cx="([\d.]+)" cy="([\d.]+)"', html
        )
    ]


def test_the_oldest_trade_is_at_the_left_edge_the_newest_at_the_right_prices_up_from_zero() -> None:
    chart = price_chart([trade(1, 100_000, 0), trade(2, 200_000, 10)], ASSET, 150_000)
    assert chart is not None
    first, last = chart.points
    assert (first.x, first.y) == (PLOT_LEFT, (PLOT_TOP + PLOT_BOTTOM) / 2)  # 1,000 of 2,000
    assert (last.x, last.y) == (PLOT_RIGHT, PLOT_TOP)
    assert chart.asking_y == PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * 0.75
    assert [t.amount_minor for t in chart.price_ticks] == [0, 50_000, 100_000, 150_000, 200_000]
    assert chart.price_ticks[0].y == PLOT_BOTTOM
    assert [(d.moment, d.anchor) for d in chart.date_ticks] == [
        (DAY, "start"),
        (DAY + timedelta(days=10), "end"),
    ]
    html = render(chart)
    assert circles(html) == [("1", PLOT_LEFT, first.y), ("2", PLOT_RIGHT, PLOT_TOP)]
    assert f'points="{PLOT_LEFT:.1f},{first.y:.1f} {PLOT_RIGHT:.1f},{PLOT_TOP:.1f}"' in html


def test_a_single_trade_sits_in_the_middle_and_the_scale_rises_above_the_asking_price() -> None:
    chart = price_chart([trade(1, 125_000, 0)], ASSET, 300_000)
    assert chart is not None
    (point,) = chart.points
    assert point.x == (PLOT_LEFT + PLOT_RIGHT) / 2
    assert chart.price_ticks[-1].amount_minor == 300_000
    assert chart.asking_y == PLOT_TOP
    assert [d.anchor for d in chart.date_ticks] == ["middle"]


@pytest.mark.parametrize(
    ("top", "step"),
    [(1, 1), (3, 1), (7, 2), (2_000, 500), (1_250_000, 500_000), (10**15, 2 * 10**14)],
)
def test_the_price_scale_steps_by_one_two_or_five_times_a_power_of_ten(top: int, step: int) -> None:
    assert nice_step(top) == step
    assert step * 5 >= top


def test_the_table_lists_each_trade_newest_first_with_its_date_price_and_asset() -> None:
    chart = price_chart(
        [trade(3, 90_000, 0, asset_id=9, title="Vegetable prices"), trade(4, 125_000, 30)],
        ASSET,
        None,
    )
    html = render(chart)
    assert rows(html) == [
        ["Dec 1, 2026", "CN¥1,250.00", "this asset", "listing price", "4"],
        ["Nov 1, 2026", "CN¥900.00", "Vegetable prices", "listing price", "3"],
    ]
    assert '<a href="/catalog/9">Vegetable prices</a>' in html
    assert 'class="asking"' not in html  # no one-off offer: no level line
    assert "asking price" not in text(html)
    assert "2 settled trades, from Nov 1, 2026 to Dec 1, 2026" in text(html)
    assert 'class="trade this-asset" data-order="4"' in html
    assert 'class="trade" data-order="3"' in html


def test_no_trade_says_so_and_an_anonymous_reader_is_told_why_there_are_no_prices() -> None:
    assert price_chart([], ASSET, 100) is None
    empty = render(None)
    assert "No comparable trades yet." in text(empty)
    assert "<svg" not in empty
    anonymous = render(price_chart([trade(1, 100, 0)], ASSET, None), signed_in=False)
    assert "<svg" not in anonymous
    assert "Sign in to see the trades" in text(anonymous)


def test_an_asset_title_is_escaped_in_the_chart_and_the_table() -> None:
    html = render(price_chart([trade(1, 100, 0, asset_id=9, title="<script>x</script>")], 1, None))
    assert "<script>" not in html
    assert html.count("&lt;script&gt;x&lt;/script&gt;") == 2  # the dot's title and the table


def test_in_chinese_the_labels_amounts_and_dates_are_chinese() -> None:
    html = render(price_chart([trade(1, 125_000, 0)], ASSET, 150_000), locale="zh_CN")
    shown = text(html)
    assert "可比成交价格走势" in shown
    assert "结算日期" in shown
    assert "要价 ¥1,500.00" in shown
    assert rows(html) == [["2026年11月1日", "¥1,250.00", "本资产", "挂牌价", "1"]]
    assert "尚无可比成交。" in text(render(None, locale="zh_CN"))
