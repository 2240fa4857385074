"""A supplier's inbox of matched demands (``GET /demands/matched``): the open demands that at
least one of the organisation's own available listings matches, best match first, each with
those listings and the explanation of each score.

It is the engine's other direction, scored by the same rules as a demand's matches and as a new
listing against the open demands (``matches``: the same candidate, relevance and ``scoring``):
a listing matches a demand when it shares a word or a required field with it
(``scoring.shares_something``). Only the caller's organisation's listings are scored, so
another organisation's listing never shows; a demand the organisation posted itself is skipped.

Cost is bounded per request: the newest ``limits.matching_inbox_demands_scanned_max`` open
demands against the organisation's newest ``limits.matching_inbox_listings_max`` active
listings. The profiles and the assets' texts are read in one query each; the scoring is pure.
The ranking is recomputed on every page; the cursor is the position (score, demand id) of the
last item shown, so a page never repeats an item of the pages before it while the scores hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as assets
from marketplace.digits import whole_number
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.matching import fields, repository, scoring
from marketplace.matching.errors import InvalidDemand
from marketplace.matching.models import Demand, ListingProfile
from marketplace.matching.repository import ProfileRow
from marketplace.matching.schemas import MatchedDemand, MatchedDemandPage, MatchPublic
from marketplace.matching.service._common import public
from marketplace.matching.service.matches import (
    _candidate,
    _explained,
    _profiles,
    demand_words,
    relevance_of,
    requirement,
    texts_of,
    token_weights,
)
from marketplace.principal import OrgRole, Principal, check_verified
from marketplace.search import segmenter


@dataclass(frozen=True)
class _Offer:
    """One of the supplier's listings as scoring reads it: its profile and its texts."""

    listing: ListingPublic
    profile: ListingProfile | ProfileRow
    texts: dict[str, frozenset[str]]
    weights: dict[str, float]  # matches.token_weights(texts)


@dataclass(frozen=True)
class _Offers:
    """The offers, and which of them hold each token and each column synonym group: a demand
    is scored only against the offers holding a token of its words or a group of its fields,
    as no other can share something with it (``scoring.shares_something``)."""

    items: list[_Offer]
    by_token: dict[str, set[int]]
    by_group: dict[str, set[int]]

    @classmethod
    def of(cls, items: list[_Offer]) -> _Offers:
        by_token: dict[str, set[int]] = {}
        by_group: dict[str, set[int]] = {}
        for i, offer in enumerate(items):
            for token in offer.weights:
                by_token.setdefault(token, set()).add(i)
            for column in offer.profile.columns:
                by_group.setdefault(fields.canonical(str(column["name"])), set()).add(i)
        return cls(items, by_token, by_group)

    def sharing(self, words: list[segmenter.QueryWord], req: scoring.Requirement) -> list[_Offer]:
        if any(not alternative for w in words for alternative in w.alternatives):
            return self.items  # a word of no token is found in any text
        hit: set[int] = set()
        for word in words:
            for token in word.tokens:
                hit |= self.by_token.get(token, set())
        for field in req.fields:
            hit |= self.by_group.get(fields.canonical(field.name), set())
        return [self.items[i] for i in sorted(hit)]


@dataclass(frozen=True)
class _Found:
    """A demand some offers match: its best score, and those offers, best first, with their
    candidates (explained only for the demands of the page shown)."""

    demand: Demand
    score: float
    ranked: list[tuple[scoring.Candidate, ListingPublic]]


Position = tuple[float, int]  # (score, demand id): the order is score down, then id down


def parse_cursor(cursor: str | None) -> Position | None:
    """The position a ``next_cursor`` names (``"0.8123:42"``)."""
    if cursor is None:
        return None
    score_text, _, id_text = cursor.partition(":")
    try:
        score = float(score_text)
    except ValueError:
        score = -1.0
    demand_id = whole_number(id_text)
    if not 0.0 <= score <= 1.0 or demand_id is None or not 1 <= demand_id <= limits.id_max:
        raise InvalidDemand("invalid cursor: pass the next_cursor of the previous page")
    return score, demand_id


def _cursor_of(found: _Found) -> str:
    assert found.demand.id is not None
    return f"{found.score:.{scoring.SCORE_DIGITS}f}:{found.demand.id}"


def _after(found: _Found, position: Position | None) -> bool:
    if position is None:
        return True
    assert found.demand.id is not None
    score, demand_id = position
    return found.score < score or (found.score == score and found.demand.id < demand_id)


def _offers(session: Session, organization_id: int) -> _Offers:
    """The organisation's available listings (the newest ``matching_inbox_listings_max``
    active ones), with their profiles and their assets' texts."""
    offered = listings.available_of_organization(
        session, organization_id, limits.matching_inbox_listings_max
    )
    profiles = {p.listing_id: p for p in _profiles(session, [item.id for item in offered])}
    found = assets.assets_by_ids(session, [item.asset_id for item in offered])
    offers: list[_Offer] = []
    for item in offered:
        profile, asset = profiles.get(item.id), found.get(item.asset_id)
        if profile is None or asset is None:
            continue
        texts = texts_of(asset.title, list(asset.keywords), asset.description)
        texts["columns"] = frozenset(
            t for c in profile.columns for t in segmenter.column_tokens(str(c["name"]))
        )
        offers.append(_Offer(item, profile, texts, token_weights(texts)))
    return _Offers.of(offers)


def _score(demand: Demand, offers: _Offers) -> _Found | None:
    """The offers that match the demand, best first, or None when none does. Ranking needs
    the score alone (``scoring.quick_score``); the explanations wait for the page."""
    words = segmenter.words_of(demand_words(demand))
    req = requirement(demand)
    columns: dict[tuple[str, str], scoring.Field] = {}
    scored: list[tuple[float, scoring.Candidate, ListingPublic]] = []
    for offer in offers.sharing(words, req):
        relevance = relevance_of(words, offer.texts, offer.weights)
        candidate = _candidate(offer.profile, relevance, demand.purpose, columns)
        if scoring.shares_something(req, candidate):
            scored.append((scoring.quick_score(req, candidate), candidate, offer.listing))
    if not scored:
        return None
    scored.sort(key=lambda item: (-item[0], item[1].listing_id))
    shown = scored[: limits.matching_inbox_matches_shown_max]
    return _Found(demand, scored[0][0], [(candidate, listing) for _, candidate, listing in shown])


def matched_demands(
    session: Session, principal: Principal, *, cursor: str | None, limit: int, now: datetime
) -> MatchedDemandPage:
    """``GET /demands/matched``: the open demands the caller's organisation's listings match,
    best first (ties: the newer demand first), a page of at most ``limit``."""
    check_verified(principal, OrgRole.supplier)
    assert 1 <= limit <= limits.matching_inbox_page_size_max
    position = parse_cursor(cursor)
    organization_id = principal.organization.id
    assert organization_id is not None
    offers = _offers(session, organization_id)
    demands = (
        repository.open_demands(
            session, now, before_id=None, limit=limits.matching_inbox_demands_scanned_max
        )
        if offers.items
        else []
    )
    found = [
        f
        for demand in demands
        if demand.buyer_organization_id != organization_id
        and (f := _score(demand, offers)) is not None
    ]
    found.sort(key=lambda f: (-f.score, -(f.demand.id or 0)))
    rest = [f for f in found if _after(f, position)]
    page = rest[:limit]
    return MatchedDemandPage(
        items=[_item(f, principal, now) for f in page],
        demands_scanned=len(demands),
        listings_scored=len(offers.items),
        next_cursor=_cursor_of(page[-1]) if len(rest) > limit else None,
    )


def _item(found: _Found, principal: Principal, now: datetime) -> MatchedDemand:
    req, purpose = requirement(found.demand), found.demand.purpose
    matches = [
        (_explained(scoring.score(req, candidate), listing, purpose), listing)
        for candidate, listing in found.ranked
    ]
    assert matches[0][0].score == found.score  # quick_score ranked what score explains
    return MatchedDemand(
        demand=public(found.demand, principal, now),
        score=found.score,
        matches=[
            MatchPublic(
                listing_id=m.listing_id, score=m.score, explanation=m.explanation, listing=listing
            )
            for m, listing in matches
        ],
    )
