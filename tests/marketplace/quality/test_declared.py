from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.quality.declared import Declared, Rule, update_period
from marketplace.quality.errors import DeclarationError


@pytest.mark.parametrize(
    ("frequency", "period"),
    [
        ("daily", timedelta(days=1)),
        ("http://purl.org/cld/freq/weekly", timedelta(weeks=1)),
        ("P1M", timedelta(days=30)),
        ("PT6H", timedelta(hours=6)),
        ("P1Y2D", timedelta(days=367)),
        ("irregular", None),
        ("P", None),
    ],
)
def test_update_frequency_words_and_iso_durations_give_a_period(
    frequency: str, period: timedelta | None
) -> None:
    assert update_period(frequency) == period


def test_rules_parse_fields_numbers_and_strings() -> None:
    assert Rule.parse("end_date >= start_date").right_field == "start_date"
    assert Rule.parse("price > 0").right_literal == 0
    assert Rule.parse("status != 'void'").right_literal == "void"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rules": ["drop table x"]}, r"rules\[0\]"),
        ({"schema": {"fields": "x"}}, "schema.fields must be a list"),
        ({"schema": {"fields": [{"type": "integer"}]}}, r"schema.fields\[0\] needs a non-empty"),
        (
            {"schema": {"fields": [{"name": "a"}], "primaryKey": ["b"]}},
            "schema.primaryKey: 'b' is not a field",
        ),
        (
            {"schema": {"fields": [{"name": "a", "constraints": {"pattern": "("}}]}},
            r"schema.fields\[0\].constraints.pattern",
        ),
        # Declarations every evaluation would fail on: bounds and values of the wrong type.
        (
            {
                "schema": {
                    "fields": [{"name": "a", "type": "integer", "constraints": {"minimum": "x"}}]
                }
            },
            r"schema.fields\[0\].constraints.minimum: 'x' does not read as integer",
        ),
        (
            {
                "schema": {
                    "fields": [{"name": "a", "type": "string", "constraints": {"maximum": 5}}]
                }
            },
            r"schema.fields\[0\].constraints.maximum must be text",
        ),
        (
            {
                "schema": {
                    "fields": [{"name": "a", "type": "date", "constraints": {"minimum": "soon"}}]
                }
            },
            r"schema.fields\[0\].constraints.minimum: 'soon' does not read as date",
        ),
        (
            {
                "schema": {
                    "fields": [{"name": "a", "type": "boolean", "constraints": {"minimum": "x"}}]
                }
            },
            r"schema.fields\[0\].constraints.minimum: boolean fields have no order",
        ),
        (
            {"schema": {"fields": [{"name": "a", "type": "boolean", "trueValues": [1]}]}},
            r"schema.fields\[0\].trueValues must be a list of strings",
        ),
        (
            {"schema": {"fields": [{"name": "a", "type": "datetime", "format": "%H"}]}},
            r"schema.fields\[0\].format: Invalid format string",
        ),
    ],
)
def test_malformed_declarations_are_refused_naming_the_part(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(DeclarationError, match=message):
        Declared.parse(**kwargs)  # type: ignore[arg-type]


def test_a_pattern_the_query_engine_cannot_run_is_refused_up_front() -> None:
    with pytest.raises(DeclarationError, match=r"constraints.pattern"):
        Declared.parse(schema={"fields": [{"name": "a", "constraints": {"pattern": "(?=x)"}}]})
