"""The pages' languages: which locale a request gets, and amounts and dates in each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.money import Currency
from marketplace.pages import i18n, words

CNY = Currency("CNY", 2)


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        (None, "en-US;q=0.5, zh-TW;q=0.9", "zh_CN"),
        (None, "fr-FR, en;q=0.5", "en"),
        (None, "zh;q=0, en", "en"),
        (None, "zh;q=abc, en", "en"),
        ("en", "zh-CN", "en"),
        ("zh_CN", "en", "zh_CN"),
        ("de", "zh", "zh_CN"),
    ],
    ids=["none", "zh", "by-quality", "fallback", "refused", "malformed", "cookie-en", "cookie-zh",
         "unknown-cookie"],
)  # fmt: skip
def test_the_locale_is_the_cookie_else_accept_language_else_english(
    cookie: str | None, accept: str | None, expected: str
) -> None:
    assert i18n.negotiate(cookie, accept) == expected


def test_amounts_and_dates_are_formatted_for_each_locale() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    with i18n.use_locale("en", CNY):
        assert i18n.money(1_234_567) == "CN¥12,345.67"
        assert i18n.when(moment) == "Mar 4, 2026, 5:06:07\u202fAM UTC"  # CLDR: U+202F before AM
        assert i18n.gettext_("Catalog") == "Catalog"
    with i18n.use_locale("zh_CN", CNY):
        assert i18n.money(1_234_567) == "¥12,345.67"
        assert i18n.day(moment) == "2026年3月4日"
        assert i18n.gettext_("Catalog") == "数据目录"
        assert i18n.money(None) == "—"
    assert i18n.current_locale() == "en"  # the block's locale does not leak


def test_scores_shares_durations_and_sizes_are_formatted_for_each_locale() -> None:
    with i18n.use_locale("en", CNY):
        assert i18n.fixed(87.5) == "87.50"
        assert i18n.fixed(1234.5, 1) == "1,234.5"
        assert i18n.percent(0.1) == "10%"
        assert i18n.percent(0.00512) == "0.51%"
        assert i18n.duration(90_061) == "1 day, 1 hour, 1 minute, 1 second"
        assert i18n.duration(86_400) == "1 day"
        assert i18n.duration(0) == "0 seconds"
        assert i18n.size(1536) == "1,536 B (1.5 KiB)"
    with i18n.use_locale("zh_CN", CNY):
        assert i18n.duration(2 * 86_400 + 3 * 3600) == "2天3小时"
        assert i18n.percent(0.25) == "25%"
        assert i18n.decimal_max(1.23456, 4) == "1.2346"


def test_a_status_reads_in_the_locale_apart_from_the_same_word_elsewhere() -> None:
    with i18n.use_locale("en", CNY):
        assert words.status_label("under_review") == "under review"
        assert words.status_label("no_sale") == "no sale"
        assert words.status_label("some_new_state") == "some new state"
    with i18n.use_locale("zh_CN", CNY):
        assert words.status_label("under_review") == "审核中"
        assert words.status_label("listed") == "已挂牌"
        assert words.status_label("confirmed") == "已确认"
        assert i18n.gettext_("confirmed") == "确认时间"  # the column heading, without the context
