"""The quality report: six GB/T 36344-2018 dimensions with the measurements behind each score,
the per-column profile, and a canonical hash for the ledger.

The hash covers the public view (no sample values), so anyone holding the public report can
recompute it. Floats are written as strings with 12 significant digits, since RFC 8785 payloads
in this project hold no floats and a re-evaluation must hash the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, Field

from ledger.canonical import SAFE_INTEGER_MAX, canonical_json, keccak256, to_hex

REPORT_VERSION = 1

Format = Literal["csv", "jsonl", "parquet"]  # the tabular formats evaluated
FORMATS: tuple[Format, ...] = get_args(Format)


def is_format(value: str) -> TypeGuard[Format]:
    """Whether a content format is one the evaluator reads."""
    return value in FORMATS


Dimension = Literal[
    "normativity", "completeness", "accuracy", "consistency", "timeliness", "accessibility"
]
DIMENSIONS: tuple[Dimension, ...] = (
    "normativity",  # 规范性
    "completeness",  # 完整性
    "accuracy",  # 准确性
    "consistency",  # 一致性
    "timeliness",  # 时效性
    "accessibility",  # 可访问性
)
# Default weights (percent, summing to 100); the service takes them from settings.
DEFAULT_WEIGHTS: dict[str, int] = {
    "normativity": 20,
    "completeness": 20,
    "accuracy": 20,
    "consistency": 15,
    "timeliness": 10,
    "accessibility": 15,
}

Measure = int | float | str | bool | None


class DimensionResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Dimension
    judged: bool
    score: float | None = Field(default=None, ge=0, le=100)
    reason: str | None = None  # why it was not judged
    measurements: dict[str, Measure] = Field(default_factory=dict)


class TopValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    count: int


class ColumnProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: str  # Table Schema type the column was judged as
    null_count: int
    null_share: float
    distinct_count: int | None = None
    distinct_exact: bool = True
    min: float | str | None = None
    max: float | str | None = None
    mean: float | None = None
    quantiles: dict[str, float] | None = None  # "p25", "p50", "p75"
    quantiles_exact: bool = True  # False: from a systematic sample (very large files)
    top_values: list[TopValue] | None = None
    samples: list[str] | None = None  # owner and operators only; never in the public view


class QualityReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = REPORT_VERSION
    format: str
    content_sha256: str
    size_bytes: int
    as_of: datetime
    rows: int | None
    columns: int | None
    declared: dict[str, Any]
    # The Table Schema the file was judged against: the declared one, or the one inferred. A
    # re-check judges the received copy against this same schema.
    judged_schema: dict[str, Any] | None = None
    weights: dict[str, int]
    dimensions: list[DimensionResult]
    overall: float | None
    profile: list[ColumnProfile]
    issues: list[str] = Field(default_factory=list)  # what could not be judged, and why

    def dimension(self, name: Dimension) -> DimensionResult:
        return next(d for d in self.dimensions if d.name == name)

    def public_view(self) -> QualityReport:
        """The report as buyers and the public see it: no sample values."""
        return self.model_copy(
            update={"profile": [p.model_copy(update={"samples": None}) for p in self.profile]}
        )

    def canonical_payload(self) -> Any:
        return _canonical(self.public_view().model_dump(mode="json"))

    def report_hash(self) -> str:
        """keccak256 of the RFC 8785 bytes of the public view, 0x-hex."""
        return to_hex(keccak256(canonical_json(self.canonical_payload())))


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= SAFE_INTEGER_MAX else str(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    raise TypeError(f"{type(value).__name__} in a quality report")


def validate_weights(weights: dict[str, int]) -> dict[str, int]:
    """Weights name each dimension once, are non-negative and not all zero."""
    if set(weights) != set(DIMENSIONS):
        raise ValueError(f"quality weights must name exactly {', '.join(DIMENSIONS)}")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) == 0:
        raise ValueError("quality weights must be non-negative and not all zero")
    return {d: weights[d] for d in DIMENSIONS}


def overall_score(dimensions: list[DimensionResult], weights: dict[str, int]) -> float | None:
    """Weighted mean over the judged dimensions, the weights renormalised over them; None when
    no dimension with a positive weight could be judged."""
    judged = [(d.score, weights[d.name]) for d in dimensions if d.judged and d.score is not None]
    total = sum(w for _, w in judged)
    if total == 0:
        return None
    return round(sum(s * w for s, w in judged) / total, 2)


def ratio_score(good: int, total: int) -> float:
    """100 * good / total, rounded to 2 decimals; a score is never rounded up to 100."""
    assert total > 0
    assert 0 <= good <= total
    score = round(100 * good / total, 2)
    return 99.99 if score == 100 and good < total else score
