"""The pages' translation catalogue: every string the code and templates use is in it, and the
Chinese catalogue translates each one (run ``python -m marketplace.pages.catalogue`` after
adding strings, then translate the new ones in zh_CN)."""

from __future__ import annotations

from marketplace.pages import catalogue, i18n


def test_the_template_file_lists_every_string_the_pages_use() -> None:
    with catalogue.POT.open("rb") as pot:
        listed = {m.id for m in catalogue.read_po(pot) if m.id}
    used = {m.id for m in catalogue.extract() if m.id}

    assert used - listed == set(), "run python -m marketplace.pages.catalogue"
    assert listed - used == set(), "run python -m marketplace.pages.catalogue"


def test_chinese_translates_every_string() -> None:
    assert catalogue.missing("zh_CN") == []


def test_the_catalogues_compile_from_their_po_files() -> None:
    assert i18n.translations("zh_CN").gettext("Catalog") == "数据目录"
    assert i18n.translations("en").gettext("Catalog") == "Catalog"


def test_words_with_two_senses_have_a_string_for_each_in_chinese() -> None:
    zh = i18n.translations("zh_CN")
    assert zh.gettext("Order") == "订单"  # a purchase order (orders' pages, disputes)
    assert zh.gettext("Sort by") == "排序"  # the catalogue's sort order
    assert zh.gettext("Statement") == "对账单"  # the money page's account statement
    assert zh.gettext("Your statement") == "陈述"  # what a party says in a dispute
