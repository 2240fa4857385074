"""The match score of one listing for one demand, with its explanation. Pure: no database, no
clock; the engine (``service/matches.py``) gathers the inputs.

The score, 0..1, is the weighted sum of five components, each 0..1:

- ``text``: how many of the demand's words (title, keywords, required field names,
  description) the listing holds in its title, description, keywords or column names, 0..1, as
  the catalog's full-text index measures it (``search.service.candidates``: the share of the
  words found, a word found only in the description counting half);
- ``schema``: the share of the required fields the listing's columns cover: a field whose name
  matches (case, separators and synonyms tolerated, see ``fields``) and whose type serves counts
  1; a name that matches with a type that does not serve counts half; a field with no column
  counts 0. No required field: 1;
- ``quality``: 1 at or above the minimum (or with no minimum); below it, the score over the
  minimum; no quality report while a minimum is asked: 0;
- ``price``: 1 when the headline price is inside the budget or below it; above it, the budget's
  maximum over the price; a negotiable listing (no headline price): one half, as its price is
  set by a quote;
- ``purpose``: 1 when the listing's terms permit the demand's purpose, else 0 (with the terms'
  own reason).

Ties are broken by the listing id (the older listing first), so a ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from marketplace.matching import fields

Component = Literal["text", "schema", "quality", "price", "purpose"]

#: How much each component weighs; they sum to 1. The schema weighs most: a demand names the
#: columns it needs, and a listing without them cannot serve it whatever its words.
WEIGHTS: Final[dict[Component, float]] = {
    "text": 0.20,
    "schema": 0.40,
    "quality": 0.15,
    "price": 0.10,
    "purpose": 0.15,
}
assert abs(sum(WEIGHTS.values()) - 1) < 1e-9
TYPE_MISMATCH_CREDIT: Final = 0.5
NEGOTIABLE_PRICE_CREDIT: Final = 0.5
SCORE_DIGITS: Final = 4


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Field(_Frozen):
    """A column: a name and its Table Schema type."""

    name: str
    type: str = "any"


class Requirement(_Frozen):
    """What a demand asks, as scoring reads it."""

    fields: tuple[Field, ...] = ()
    quality_min: float | None = None
    purpose: str
    budget_min_minor: int
    budget_max_minor: int


class Candidate(_Frozen):
    """What scoring reads of a listing. ``refusal`` is the listing terms' own reason for not
    permitting the demand's purpose (``listings.terms.refusal``), None when they permit it."""

    listing_id: int
    relevance: float = PydanticField(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)
    columns: tuple[Field, ...] = ()
    quality_score: float | None = None
    headline_minor: int | None = None
    refusal: str | None = None


class FieldMatch(_Frozen):
    """One required field and the column that covers it."""

    required: str
    required_type: str
    column: str
    column_type: str
    via: Literal["name", "synonym"]
    synonym_group: str | None = None  # the group's first name, when matched via a synonym
    type_ok: bool


class TextExplanation(_Frozen):
    relevance: float  # the share of the demand's words the listing holds


class QualityExplanation(_Frozen):
    score: float | None
    minimum: float | None
    meets: bool


class PriceExplanation(_Frozen):
    headline_minor: int | None
    budget_min_minor: int
    budget_max_minor: int
    verdict: Literal["inside", "below", "above", "negotiable"]


class PurposeExplanation(_Frozen):
    purpose: str
    permitted: bool
    reason: str | None = None


class Explanation(_Frozen):
    fields_matched: list[FieldMatch]
    fields_missing: list[str]
    text: TextExplanation
    quality: QualityExplanation
    price: PriceExplanation
    purpose: PurposeExplanation
    components: dict[str, float]
    weights: dict[str, float]


class Match(_Frozen):
    listing_id: int
    score: float
    explanation: Explanation


_Found = tuple[
    Literal["name", "synonym"], Field, bool
]  # how, which column, whether its type serves


def _column_for(required: Field, columns: Sequence[Field]) -> _Found | None:
    """The column covering ``required``, best first: the same name with a type that serves, a
    synonym with a type that serves, the same name, a synonym."""
    key, group = fields.normalise(required.name), fields.canonical(required.name)
    in_group = [c for c in columns if fields.canonical(c.name) == group]
    best: _Found | None = None
    for via in ("name", "synonym"):
        for column in in_group:
            same = fields.normalise(column.name) == key
            if (via == "name") != same:
                continue
            found: _Found = (via, column, fields.type_satisfies(required.type, column.type))
            if found[2]:
                return found
            best = best or found
    return best


def _field_match(required: Field, found: _Found) -> FieldMatch:
    via, column, type_ok = found
    return FieldMatch(
        required=required.name,
        required_type=required.type,
        column=column.name,
        column_type=column.type,
        via=via,
        synonym_group=fields.GROUPS[fields.canonical(required.name)][0]
        if via == "synonym"
        else None,
        type_ok=type_ok,
    )


def _credit(required: Sequence[Field], found: Sequence[_Found | None]) -> float:
    if not required:
        return 1.0
    credit = sum(1.0 if f[2] else TYPE_MISMATCH_CREDIT for f in found if f is not None)
    return credit / len(required)


def schema_coverage(
    required: Sequence[Field], columns: Sequence[Field]
) -> tuple[float, list[FieldMatch], list[str]]:
    """The schema component, the fields matched and the names of the fields missing."""
    found = [_column_for(want, columns) for want in required]
    matched = [_field_match(w, f) for w, f in zip(required, found, strict=True) if f is not None]
    missing = [w.name for w, f in zip(required, found, strict=True) if f is None]
    return _credit(required, found), matched, missing


def quality_component(score: float | None, minimum: float | None) -> tuple[float, bool]:
    if minimum is None or minimum <= 0:
        return 1.0, True
    if score is None:
        return 0.0, False
    if score >= minimum:
        return 1.0, True
    return max(0.0, score) / minimum, False


def price_component(
    headline_minor: int | None, budget_min_minor: int, budget_max_minor: int
) -> tuple[float, Literal["inside", "below", "above", "negotiable"]]:
    assert 1 <= budget_min_minor <= budget_max_minor
    if headline_minor is None:
        return NEGOTIABLE_PRICE_CREDIT, "negotiable"
    if headline_minor > budget_max_minor:
        return budget_max_minor / headline_minor, "above"
    if headline_minor < budget_min_minor:
        return 1.0, "below"
    return 1.0, "inside"


def _components(
    requirement: Requirement, candidate: Candidate, schema: float
) -> dict[Component, float]:
    quality, _ = quality_component(candidate.quality_score, requirement.quality_min)
    price, _ = price_component(
        candidate.headline_minor, requirement.budget_min_minor, requirement.budget_max_minor
    )
    components: dict[Component, float] = {
        "text": candidate.relevance,
        "schema": schema,
        "quality": quality,
        "price": price,
        "purpose": 1.0 if candidate.refusal is None else 0.0,
    }
    for value in components.values():
        assert 0.0 <= value <= 1.0, components
    return components


def _total(components: dict[Component, float]) -> float:
    total = sum(WEIGHTS[k] * v for k, v in components.items())
    return round(min(1.0, max(0.0, total)), SCORE_DIGITS)


def quick_score(requirement: Requirement, candidate: Candidate) -> float:
    """``score(...).score`` without building the explanation (ranking many candidates)."""
    found = [_column_for(want, candidate.columns) for want in requirement.fields]
    return _total(_components(requirement, candidate, _credit(requirement.fields, found)))


def score(requirement: Requirement, candidate: Candidate) -> Match:
    """The listing's match for the demand: the weighted score and why."""
    schema, matched, missing = schema_coverage(requirement.fields, candidate.columns)
    components = _components(requirement, candidate, schema)
    _, meets = quality_component(candidate.quality_score, requirement.quality_min)
    _, verdict = price_component(
        candidate.headline_minor, requirement.budget_min_minor, requirement.budget_max_minor
    )
    explanation = Explanation(
        fields_matched=matched,
        fields_missing=missing,
        text=TextExplanation(relevance=round(candidate.relevance, SCORE_DIGITS)),
        quality=QualityExplanation(
            score=candidate.quality_score, minimum=requirement.quality_min, meets=meets
        ),
        price=PriceExplanation(
            headline_minor=candidate.headline_minor,
            budget_min_minor=requirement.budget_min_minor,
            budget_max_minor=requirement.budget_max_minor,
            verdict=verdict,
        ),
        purpose=PurposeExplanation(
            purpose=requirement.purpose,
            permitted=candidate.refusal is None,
            reason=candidate.refusal,
        ),
        components={k: round(v, SCORE_DIGITS) for k, v in components.items()},
        weights=dict(WEIGHTS),
    )
    return Match(listing_id=candidate.listing_id, score=_total(components), explanation=explanation)


def shares_something(requirement: Requirement, candidate: Candidate) -> bool:
    """Whether the listing shares a word or a required field with the demand: a listing sharing
    neither is no match, whatever its price, quality and terms."""
    if candidate.relevance > 0:
        return True
    wanted = {fields.canonical(f.name) for f in requirement.fields}
    return any(fields.canonical(c.name) in wanted for c in candidate.columns)


def rank(requirement: Requirement, candidates: Iterable[Candidate], limit: int) -> list[Match]:
    """The matches of the candidates that share a word or a field with the demand, best first
    (ties: lower listing id first), at most ``limit``."""
    assert limit >= 0
    scored = [
        (quick_score(requirement, c), c) for c in candidates if shares_something(requirement, c)
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1].listing_id))
    return [score(requirement, c) for _, c in scored[:limit]]


__all__ = [
    "WEIGHTS",
    "Candidate",
    "Explanation",
    "Field",
    "FieldMatch",
    "Match",
    "Requirement",
    "price_component",
    "quality_component",
    "quick_score",
    "rank",
    "schema_coverage",
    "score",
    "shares_something",
]
