"""The matching engine: a demand's ranked matches, and a new listing matched against the open
demands. The score and its explanation are ``scoring``'s (pure); this module gathers its inputs.

Candidates come from the catalog's full-text index, never from a scan of every listing
(``search.service.candidates``, one query): the listings holding any of the demand's words
(title, keywords, required field names and their synonym groups' names, description), with
their relevance. A listing sharing no word and no field with a demand is therefore never a
candidate, and ``scoring.rank`` drops any that slipped through: with neither, only its price,
quality and terms could score, which says nothing about whether it is the data asked for. The
candidates' profiles (typed columns, quality, supplier, price, purposes) are read in one query
and scored in Python; the listings are read for the best matches alone.

A buyer's own organisation's listings are never its matches. Suppliers of the best matches are
notified when a demand is posted, and buyers when a new listing matches their open demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as assets
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import refusal
from marketplace.matching import fields, repository, scoring
from marketplace.matching.demand_lifecycle import DemandStatus
from marketplace.matching.models import Demand, ListingProfile
from marketplace.matching.repository import ProfileRow
from marketplace.matching.schemas import MatchPage, MatchPublic
from marketplace.matching.service._common import owned, status_of, subject
from marketplace.notifications import service as notifications
from marketplace.principal import Principal
from marketplace.quality import service as quality
from marketplace.search import segmenter
from marketplace.search import service as search

#: The weight of a word found in each of a listing's texts (as the catalog's candidates weigh
#: them): title, keywords and column names count 1, the description only half.
_TEXT_WEIGHTS = {"title": 1.0, "keywords": 1.0, "columns": 1.0, "description": 0.5}


def requirement(demand: Demand) -> scoring.Requirement:
    return scoring.Requirement(
        fields=tuple(scoring.Field.model_validate(f) for f in demand.required_fields),
        quality_min=demand.quality_min,
        purpose=demand.purpose,
        budget_min_minor=demand.budget_min_minor,
        budget_max_minor=demand.budget_max_minor,
    )


def demand_words(demand: Demand) -> list[str]:
    """What the index is asked for, most telling first (the index keeps the first 64 words):
    the title, the keywords, each required field's name and its synonym group's name, then the
    description."""
    return [demand.title, *demand.keywords, *field_words(demand), demand.description]


def field_words(demand: Demand) -> list[str]:
    """Each required field's name as written and the name of its synonym group (``ts`` and
    ``timestamp``): the column names asked of the index (every synonym would multiply the
    index's work; the scoring matches all of them)."""
    names = [str(f["name"]) for f in demand.required_fields]
    return list(dict.fromkeys(w for n in names for w in (n, fields.synonyms_of(n)[0])))


def _candidate(
    profile: ListingProfile | ProfileRow,
    relevance: float,
    purpose: str,
    columns: dict[tuple[str, str], scoring.Field] | None = None,
) -> scoring.Candidate:
    """What scoring reads of a listing, from its profile. Whether the terms permit the purpose
    is read from the purposes they list; the terms' own wording of a refusal is put in for the
    matches shown (``_explained``). ``columns`` shares one ``Field`` per name and type among
    the candidates of one ranking (the same columns recur across listings)."""
    assert 0.0 <= relevance <= 1.0
    shared = {} if columns is None else columns
    # Built without validation: every value comes from a profile this module wrote.
    return scoring.Candidate.model_construct(
        listing_id=profile.listing_id,
        relevance=relevance,
        columns=tuple(_field(shared, str(c["name"]), str(c["type"])) for c in profile.columns),
        quality_score=profile.quality_score,
        headline_minor=profile.headline_minor,
        refusal=None if purpose in profile.purposes else f"the terms do not permit {purpose}",
    )


def _field(shared: dict[tuple[str, str], scoring.Field], name: str, type_: str) -> scoring.Field:
    field = shared.get((name, type_))
    if field is None:  # frozen, so one object serves every candidate with this column
        field = shared[(name, type_)] = scoring.Field.model_construct(name=name, type=type_)
    return field


def _explained(match: scoring.Match, listing: ListingPublic, purpose: str) -> scoring.Match:
    """The match with the listing's terms' own reason for refusing the purpose."""
    reason = refusal(listing.terms, purpose)
    if reason == match.explanation.purpose.reason:
        return match
    shown = match.explanation.purpose.model_copy(update={"reason": reason})
    return match.model_copy(
        update={"explanation": match.explanation.model_copy(update={"purpose": shown})}
    )


@dataclass(frozen=True)
class Ranked:
    matches: list[scoring.Match]
    listings: dict[int, ListingPublic]
    scored: int


def _profiles(session: Session, ids: list[int]) -> list[ListingProfile | ProfileRow]:
    """The candidates' profiles, in ``ids``' order; a listing created before matching profiled
    listings gets one built now (not stored: a read writes nothing)."""
    stored = repository.profiles(session, ids)
    missing = [i for i in ids if i not in stored][: limits.page_size_max]
    built = {
        item.id: build_profile(session, item) for item in listings.public_many(session, missing)
    }
    found: list[ListingProfile | ProfileRow] = []
    for i in ids:
        profile = stored.get(i) or built.get(i)
        if profile is not None:
            found.append(profile)
    return found


def rank(session: Session, demand: Demand, limit: int) -> Ranked:
    """The demand's best ``limit`` matches among the candidates the index hands over.

    Scoring reads only the profiles (one query); the listings themselves are read for the
    best matches alone, which also drops any that stopped being available since they were
    indexed."""
    found = search.candidates(session, demand_words(demand), limits.matching_candidates_max)
    relevance = {c.listing_id: c.relevance for c in found}
    ids = list(relevance)
    columns: dict[tuple[str, str], scoring.Field] = {}
    candidates = [
        _candidate(p, relevance.get(p.listing_id, 0.0), demand.purpose, columns)
        for p in _profiles(session, ids)
        if p.supplier_organization_id != demand.buyer_organization_id
    ]
    best = scoring.rank(requirement(demand), candidates, limit + limits.matching_spare_max)
    shown = {item.id: item for item in listings.public_many(session, [m.listing_id for m in best])}
    matches = [
        _explained(m, shown[m.listing_id], demand.purpose)
        for m in best
        if m.listing_id in shown and shown[m.listing_id].available
    ][:limit]
    return Ranked(matches, shown, len(candidates))


def matches(
    session: Session, principal: Principal, demand_id: int, now: datetime, limit: int
) -> MatchPage:
    """``GET /demands/{id}/matches``: the owner's demand's ranked matches, each explained."""
    demand = owned(session, principal, demand_id, now)
    assert demand.id is not None
    ranked = rank(session, demand, limit)
    return MatchPage(
        demand_id=demand.id,
        status=status_of(demand, now),
        candidates_scored=ranked.scored,
        matches=[
            MatchPublic(
                listing_id=m.listing_id,
                score=m.score,
                explanation=m.explanation,
                listing=ranked.listings[m.listing_id],
            )
            for m in ranked.matches
        ],
    )


def notify_suppliers(session: Session, demand: Demand) -> list[int]:
    """Tell the suppliers of the demand's best matches (score at least
    ``limits.matching_notify_score_min``, at most ``limits.matching_notified_max``
    organisations, one notification each) that a demand fits their listing. Returns them."""
    assert demand.id is not None
    ranked = rank(session, demand, limits.matching_results_max)
    notified: dict[int, None] = {}
    for match in ranked.matches:
        if match.score < limits.matching_notify_score_min:
            break
        supplier = ranked.listings[match.listing_id].supplier_organization_id
        if supplier in notified:
            continue
        notifications.notify(
            session,
            organization_id=supplier,
            kind="demand.matched",
            subject=subject(demand.id),
            payload=_payload(demand, match),
        )
        notified[supplier] = None
        if len(notified) >= limits.matching_notified_max:
            break
    return list(notified)


def _payload(demand: Demand, match: scoring.Match) -> dict[str, object]:
    return {
        "demand_id": demand.id,
        "demand_title": demand.title,
        "listing_id": match.listing_id,
        "score": match.score,
        "fields_missing": match.explanation.fields_missing,
    }


def build_profile(session: Session, listing: ListingPublic) -> ListingProfile:
    """What scoring reads of the listing: its revision's columns with their Table Schema types,
    its quality score, and from its signed offer (which never changes) the supplier, the
    headline price and the purposes its terms permit."""
    revision = assets.stored_revision(session, listing.asset_id, listing.revision)
    schema = (revision.table_schema if revision is not None else None) or {}
    columns = [
        {"name": str(f.get("name", "")), "type": str(f.get("type", "any"))}
        for f in schema.get("fields", [])
        if isinstance(f, dict) and f.get("name")
    ]
    return ListingProfile(
        listing_id=listing.id,
        supplier_organization_id=listing.supplier_organization_id,
        headline_minor=listing.headline_minor,
        purposes=[p.value for p in listing.terms.purposes],
        columns=columns,
        quality_score=quality.finished_overall_score(session, listing.asset_id, listing.revision),
    )


def _listing_texts(session: Session, listing: ListingPublic) -> dict[str, frozenset[str]]:
    asset = assets.assets_by_ids(session, [listing.asset_id]).get(listing.asset_id)
    if asset is None:
        return texts_of(listing.asset_title or "", [], "")
    return texts_of(asset.title, list(asset.keywords), asset.description)


def texts_of(title: str, keywords: Sequence[str], description: str) -> dict[str, frozenset[str]]:
    """A listing's asset's texts as the index holds them, by where they are found."""
    return {
        "title": frozenset(segmenter.index_tokens(title)),
        "keywords": frozenset(t for k in keywords for t in segmenter.index_tokens(k)),
        "description": frozenset(segmenter.index_tokens(description or "")),
    }


def token_weights(texts: dict[str, frozenset[str]]) -> dict[str, float]:
    """Each token of a listing's texts with the weight of the weightiest text holding it."""
    weights: dict[str, float] = {}
    for kind, tokens in texts.items():
        weight = _TEXT_WEIGHTS[kind]
        for token in tokens:
            if weights.get(token, 0.0) < weight:
                weights[token] = weight
    return weights


def _word_weight(
    word: segmenter.QueryWord, texts: dict[str, frozenset[str]], weights: dict[str, float]
) -> float:
    """The weight of the weightiest text holding the word whole. A word whose alternatives are
    one token each (most words) is looked up in ``weights``: the same answer without testing
    the word against each text, which dominates when one listing meets many demands."""
    if all(len(alternative) == 1 for alternative in word.alternatives):
        return max((weights.get(alt[0], 0.0) for alt in word.alternatives), default=0.0)
    return max(
        (_TEXT_WEIGHTS[k] for k, tokens in texts.items() if word.found_in(tokens)), default=0.0
    )


def relevance_of(
    words: Sequence[segmenter.QueryWord],
    texts: dict[str, frozenset[str]],
    weights: dict[str, float] | None = None,
) -> float:
    """The share of the words the listing holds, weighted by where (as the catalog does).
    ``weights`` is ``token_weights(texts)``, computed once when the texts meet many demands."""
    if not words:
        return 0.0
    held = token_weights(texts) if weights is None else weights
    total = sum(_word_weight(w, texts, held) for w in words)
    return min(1.0, total / len(words))


def match_new_listing(session: Session, listing_id: int, now: datetime) -> list[int]:
    """Score a new listing against the open demands (the newest
    ``limits.matching_open_demands_scanned_max``); for the best (score at least
    ``limits.matching_notify_score_min``, at most ``limits.matching_notified_max``), notify the
    demand's buyer (``listing.matched``) and the listing's supplier (``demand.matched``).
    Stores the listing's profile first. Returns the ids of the demands notified."""
    listing = listings.public(session, listing_id)
    row = build_profile(session, listing)
    repository.put_profile(session, row)
    texts = _listing_texts(session, listing)
    texts["columns"] = frozenset(
        t for c in row.columns for t in segmenter.column_tokens(str(c["name"]))
    )
    weights = token_weights(texts)
    found: list[tuple[scoring.Match, Demand]] = []
    for demand in repository.open_demands(
        session, now, before_id=None, limit=limits.matching_open_demands_scanned_max
    ):
        if demand.buyer_organization_id == listing.supplier_organization_id:
            continue
        relevance = relevance_of(segmenter.words_of(demand_words(demand)), texts, weights)
        candidate = _candidate(row, relevance, demand.purpose)
        req = requirement(demand)
        if scoring.shares_something(req, candidate):
            match = _explained(scoring.score(req, candidate), listing, demand.purpose)
            if match.score >= limits.matching_notify_score_min:
                found.append((match, demand))
    found.sort(key=lambda pair: (-pair[0].score, pair[1].id or 0))
    notified: list[int] = []
    for match, demand in found[: limits.matching_notified_max]:
        assert demand.id is not None
        assert status_of(demand, now) == DemandStatus.open
        for organization_id, kind in (
            (demand.buyer_organization_id, "listing.matched"),
            (listing.supplier_organization_id, "demand.matched"),
        ):
            notifications.notify(
                session,
                organization_id=organization_id,
                kind=kind,
                subject=subject(demand.id),
                payload=_payload(demand, match),
            )
        notified.append(demand.id)
    return notified
