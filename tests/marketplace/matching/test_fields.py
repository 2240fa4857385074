"""Field names match across case, separators, full-width characters and synonyms; types match
by what can serve for what."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.matching import fields


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("PM2.5", "pm25"),
        ("pm2_5", "pm25"),
        ("Pm 2.5", "pm2-5"),
        ("City_Name", "cityName"),
        ("\uff23\uff29\uff34\uff39", "city"),  # full-width CITY
        ("ts", "timestamp"),
        ("time", "datetime"),
        ("lat", "Latitude"),
        ("lng", "longitude"),
        ("城市", "city"),
        ("zip", "postal_code"),
    ],
)
def test_names_that_mean_the_same_column_have_one_canonical_form(a: str, b: str) -> None:
    assert fields.canonical(a) == fields.canonical(b)


@pytest.mark.parametrize(("a", "b"), [("lat", "lon"), ("date", "ts"), ("pm25", "pm10")])
def test_different_columns_stay_different(a: str, b: str) -> None:
    assert fields.canonical(a) != fields.canonical(b)


def test_no_name_is_in_two_synonym_groups() -> None:
    seen: dict[str, str] = {}
    for group in fields.SYNONYMS:
        for name in group:
            key = fields.normalise(name)
            assert seen.setdefault(key, group[0]) == group[0], name


def test_synonyms_of_a_name_lists_its_group_as_written() -> None:
    assert "ts" in fields.synonyms_of("TIMESTAMP")
    assert fields.synonyms_of("unheard_of") == ("unheard_of",)


@pytest.mark.parametrize(
    ("required", "column", "ok"),
    [
        ("number", "integer", True),
        ("number", "number", True),
        ("integer", "number", False),
        ("date", "datetime", True),
        ("datetime", "date", False),
        ("year", "integer", True),
        ("string", "integer", True),
        ("any", "object", True),
        ("integer", "any", False),
        ("boolean", "string", False),
    ],
)
def test_a_type_serves_a_required_type_by_the_table(required: str, column: str, ok: bool) -> None:
    assert fields.type_satisfies(required, column) is ok


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_normalising_is_idempotent_and_case_blind(name: str) -> None:
    once = fields.normalise(name)
    assert fields.normalise(once) == once
    assert fields.normalise(name.upper()) == fields.normalise(name.lower()) or not name.isascii()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(fields.FIELD_TYPES))
def test_every_type_serves_itself_and_any(t: str) -> None:
    assert fields.type_satisfies(t, t)
    assert fields.type_satisfies("any", t)
