"""What a supplier declares about a table: its Table Schema plus three things Table Schema has
no place for: cross-field rules (``end_date >= start_date``), the update frequency (DCAT
``accrualPeriodicity``) and the field that holds each record's timestamp. Nothing here reads a
file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl

from marketplace import limits
from marketplace.quality.errors import DeclarationError
from marketplace.quality.table_schema import FieldSpec, TableSchema

# --- cross-field rules ------------------------------------------------------------------------

_RULE = re.compile(
    r"^\s*(?P<left>[A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\")\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    r"(?P<right>[A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\"|'[^']*'|-?\d+(?:\.\d+)?)\s*$"
)


# Field types whose values compare with each other in a rule (booleans: equality only).
_ORDER_KIND = {
    "integer": "number",
    "number": "number",
    "year": "number",
    "date": "time",
    "datetime": "time",
    "string": "text",
    "boolean": "bool",
}


def order_kind(spec: FieldSpec, dtype: pl.DataType) -> str | None:
    """What a field's values compare with in a rule; an untyped field compares as text only if
    it was read as text (a Parquet time or duration column does not)."""
    if spec.type == "any":
        return "text" if dtype == pl.String else None
    return _ORDER_KIND.get(spec.type)


@dataclass(frozen=True)
class Rule:
    """``left op right``: left is a field; right is a field, a number or a 'quoted string'."""

    text: str
    left: str
    op: str
    right_field: str | None
    right_literal: float | str | None

    @classmethod
    def parse(cls, text: str, index: int = 0) -> Rule:
        m = _RULE.match(text)
        if m is None:
            raise DeclarationError(
                f"rules[{index}]: {text!r} is not 'field OP field-or-literal' "
                "with OP one of >= <= > < == !="
            )
        left = m["left"].strip('"')
        right = m["right"]
        if right.startswith("'"):
            return cls(text, left, m["op"], None, right[1:-1])
        if right[0].isdigit() or right[0] == "-":
            return cls(text, left, m["op"], None, float(right) if "." in right else int(right))
        return cls(text, left, m["op"], right.strip('"'), None)

    def comparable(self, left: str | None, right: str | None) -> bool:
        """Whether the sides compare, given their ``order_kind`` (``right``: the right field's,
        unused for a literal)."""
        if left is None or (left == "bool" and self.op not in ("==", "!=")):
            return False
        if self.right_field is not None:
            return left == right
        if left in ("number", "bool"):
            return isinstance(self.right_literal, (int, float))
        return isinstance(self.right_literal, str)

    def violated(self, left: pl.Expr, right: pl.Expr) -> pl.Expr:
        """True where both sides are present and the rule does not hold."""
        ops = {
            ">=": left >= right,
            "<=": left <= right,
            ">": left > right,
            "<": left < right,
            "==": left == right,
            "!=": left != right,
        }
        return ops[self.op].not_()


# --- update frequency -------------------------------------------------------------------------

_DCAT_FREQUENCIES = {
    "continuous": timedelta(hours=1),
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "biweekly": timedelta(weeks=2),
    "monthly": timedelta(days=30),
    "quarterly": timedelta(days=91),
    "semiannual": timedelta(days=182),
    "annual": timedelta(days=365),
    "yearly": timedelta(days=365),
}
_ISO_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def update_period(frequency: str) -> timedelta | None:
    """The period of a DCAT frequency word or an ISO 8601 duration; None for frequencies that
    promise no period (irregular, never, unknown)."""
    word = frequency.strip().rsplit("/", 1)[-1].lower()
    if word in _DCAT_FREQUENCIES:
        return _DCAT_FREQUENCIES[word]
    m = _ISO_DURATION.match(frequency.strip().upper())
    if m is None or not any(m.groupdict().values()):
        return None
    g = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    period = timedelta(
        days=g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"],
        hours=g["h"],
        minutes=g["mi"],
        seconds=g["s"],
    )
    return period if period > timedelta(0) else None


@dataclass(frozen=True)
class Declared:
    """Everything the supplier declared that the evaluation judges against."""

    schema: TableSchema | None = None
    rules: tuple[Rule, ...] = ()
    update_frequency: str | None = None
    timestamp_field: str | None = None
    # The schema was inferred at upload and never corrected: the report says "inferred".
    schema_inferred: bool = False

    @classmethod
    def parse(
        cls,
        schema: dict[str, Any] | None = None,
        rules: list[str] | None = None,
        update_frequency: str | None = None,
        timestamp_field: str | None = None,
        *,
        schema_inferred: bool = False,
    ) -> Declared:
        rule_list = rules or []
        if len(rule_list) > limits.quality_rules_max:
            raise DeclarationError(f"rules: at most {limits.quality_rules_max}")
        return cls(
            schema=TableSchema.from_frictionless(schema) if schema is not None else None,
            rules=tuple(Rule.parse(r, i) for i, r in enumerate(rule_list)),
            update_frequency=update_frequency,
            timestamp_field=timestamp_field,
            schema_inferred=schema_inferred and schema is not None,
        )

    def to_json(self) -> dict[str, Any]:
        declared: dict[str, Any] = {
            "schema": self.schema.to_frictionless() if self.schema else None,
            "rules": [r.text for r in self.rules],
            "update_frequency": self.update_frequency,
            "timestamp_field": self.timestamp_field,
        }
        if self.schema_inferred:  # only then, so earlier stored declarations read the same
            declared["schema_inferred"] = True
        return declared
