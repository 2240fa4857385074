"""The match score: each component, the explanation a buyer reads, and the ranking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.matching import scoring
from marketplace.matching.scoring import Candidate, Field, Requirement

AIR = Requirement(
    fields=(
        Field(name="city", type="string"),
        Field(name="pm25", type="number"),
        Field(name="ts", type="datetime"),
    ),
    quality_min=70,
    purpose="research",
    budget_min_minor=1_000,
    budget_max_minor=50_000,
)


def candidate(listing_id: int, *columns: tuple[str, str], **kw: object) -> Candidate:
    values: dict[str, object] = {
        "listing_id": listing_id,
        "relevance": 1.0,
        "columns": tuple(Field(name=n, type=t) for n, t in columns),
        "quality_score": 80.0,
        "headline_minor": 10_000,
    }
    values.update(kw)
    return Candidate.model_validate(values)


FULL = candidate(2, ("City", "string"), ("PM2.5", "integer"), ("timestamp", "datetime"))
CITY_ONLY = candidate(1, ("city", "string"), ("population", "integer"))


def test_a_listing_with_every_required_field_ranks_ahead_of_one_with_only_city() -> None:
    ranked = scoring.rank(AIR, [CITY_ONLY, FULL], limit=10)
    assert [m.listing_id for m in ranked] == [2, 1]
    assert ranked[0].score > ranked[1].score
    assert ranked[1].explanation.fields_missing == ["pm25", "ts"]


def test_the_explanation_names_each_field_and_the_synonym_it_matched_through() -> None:
    match = scoring.score(AIR, FULL)
    by_field = {m.required: m for m in match.explanation.fields_matched}
    assert by_field["city"].via == "name"
    assert by_field["city"].column == "City"
    assert (by_field["pm25"].via, by_field["pm25"].column) == ("name", "PM2.5")
    assert by_field["pm25"].type_ok  # integer serves number
    assert by_field["ts"].via == "synonym"
    assert by_field["ts"].synonym_group == "timestamp"
    assert match.explanation.fields_missing == []
    assert match.explanation.components["schema"] == 1.0
    assert match.explanation.weights == scoring.WEIGHTS
    assert match.score == 1.0


def test_a_column_of_the_wrong_type_counts_half() -> None:
    wrong = candidate(3, ("city", "string"), ("pm25", "string"), ("ts", "datetime"))
    match = scoring.score(AIR, wrong)
    assert match.explanation.components["schema"] == round(2.5 / 3, 4)
    pm = next(m for m in match.explanation.fields_matched if m.required == "pm25")
    assert not pm.type_ok
    assert pm.column_type == "string"


def test_quality_below_the_minimum_is_explained_and_scored_in_proportion() -> None:
    match = scoring.score(AIR, candidate(4, ("city", "string"), quality_score=35.0))
    assert match.explanation.quality.model_dump() == {"score": 35.0, "minimum": 70, "meets": False}
    assert match.explanation.components["quality"] == 0.5


def test_no_quality_report_scores_nothing_when_a_minimum_is_asked() -> None:
    match = scoring.score(AIR, candidate(4, ("city", "string"), quality_score=None))
    assert match.explanation.components["quality"] == 0.0
    assert not match.explanation.quality.meets


def test_price_against_the_budget() -> None:
    assert scoring.price_component(10, 100, 200) == (1.0, "below")
    assert scoring.price_component(150, 100, 200) == (1.0, "inside")
    assert scoring.price_component(400, 100, 200) == (0.5, "above")
    assert scoring.price_component(None, 100, 200) == (0.5, "negotiable")


def test_a_purpose_the_terms_refuse_scores_nothing_and_gives_the_terms_reason() -> None:
    reason = "the terms permit research only, not commercial"
    match = scoring.score(AIR, candidate(5, ("city", "string"), refusal=reason))
    assert match.explanation.purpose.model_dump() == {
        "purpose": "research",
        "permitted": False,
        "reason": reason,
    }
    assert match.explanation.components["purpose"] == 0.0


def test_a_listing_sharing_no_word_and_no_field_is_not_a_match() -> None:
    stranger = candidate(6, ("price", "number"), relevance=0.0)
    assert not scoring.shares_something(AIR, stranger)
    assert scoring.rank(AIR, [stranger], limit=10) == []


def test_ties_rank_the_older_listing_first_and_the_limit_holds() -> None:
    same = [candidate(i, ("city", "string")) for i in (9, 7, 8)]
    assert [m.listing_id for m in scoring.rank(AIR, same, limit=2)] == [7, 8]


names = st.sampled_from(["city", "pm25", "PM2.5", "ts", "time", "lat", "lon", "price", "x", "y"])
types = st.sampled_from(["string", "integer", "number", "datetime", "date", "any"])
field_lists = st.lists(st.builds(Field, name=names, type=types), max_size=6)


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    low = draw(st.integers(1, 10**6))
    return Requirement(
        fields=tuple(draw(field_lists)),
        quality_min=draw(st.none() | st.floats(0, 100)),
        purpose="research",
        budget_min_minor=low,
        budget_max_minor=draw(st.integers(low, 2 * 10**6)),
    )


candidates = st.builds(
    Candidate,
    listing_id=st.integers(1, 1000),
    relevance=st.floats(0, 1),
    columns=field_lists.map(tuple),
    quality_score=st.none() | st.floats(0, 100),
    headline_minor=st.none() | st.integers(1, 2**63 - 1),
    refusal=st.none() | st.just("not permitted"),
)


@settings(max_examples=300, deadline=None)
@given(requirements(), candidates)
def test_every_score_and_component_lies_in_0_1_and_the_explanation_accounts_for_each_field(
    requirement: Requirement, listing: Candidate
) -> None:
    match = scoring.score(requirement, listing)
    assert 0.0 <= match.score <= 1.0
    assert all(0.0 <= v <= 1.0 for v in match.explanation.components.values())
    explained = [m.required for m in match.explanation.fields_matched]
    explained += match.explanation.fields_missing
    assert sorted(explained) == sorted(f.name for f in requirement.fields)


@settings(max_examples=300, deadline=None)
@given(requirements(), candidates, st.sampled_from(["city", "pm25", "ts", "lat"]))
def test_adding_a_required_column_never_lowers_the_score(
    requirement: Requirement, listing: Candidate, name: str
) -> None:
    wanted = next((f for f in requirement.fields if f.name == name), None)
    if wanted is None:
        return
    richer = listing.model_copy(update={"columns": (*listing.columns, wanted)})
    assert scoring.score(requirement, richer).score >= scoring.score(requirement, listing).score


@settings(max_examples=200, deadline=None)
@given(
    requirements(),
    st.lists(candidates, max_size=8, unique_by=lambda c: c.listing_id),
    st.integers(0, 10),
)
def test_a_ranking_is_sorted_bounded_and_holds_only_listings_sharing_something(
    requirement: Requirement, listings: list[Candidate], limit: int
) -> None:
    ranked = scoring.rank(requirement, listings, limit)
    assert len(ranked) <= limit
    keys = [(-m.score, m.listing_id) for m in ranked]
    assert keys == sorted(keys)
    by_id = {c.listing_id: c for c in listings}
    assert all(scoring.shares_something(requirement, by_id[m.listing_id]) for m in ranked)


@settings(max_examples=300, deadline=None)
@given(requirements(), candidates)
def test_the_quick_score_ranking_uses_is_the_explained_score(
    requirement: Requirement, listing: Candidate
) -> None:
    assert scoring.quick_score(requirement, listing) == scoring.score(requirement, listing).score
