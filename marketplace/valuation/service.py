"""Valuation rules: who may issue one, what the exchange fills in, certification by a valuer,
and the journal entry. Never commits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ledger import journal
from marketplace import limits
from marketplace.assets import service as assets
from marketplace.assets import visibility
from marketplace.assets.errors import AssetNotFound, AssetStateConflict, RevisionNotFound
from marketplace.assets.visibility import AssetFacts
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.identity.errors import SignatureRejected
from marketplace.listings import service as listings
from marketplace.money import Currency
from marketplace.orders import service as orders
from marketplace.principal import Principal
from marketplace.quality import QualityReport
from marketplace.quality import service as quality_service
from marketplace.settings import Settings
from marketplace.valuation import certification, exchange_comparables, repository, rules
from marketplace.valuation.errors import ValuationNotFound
from marketplace.valuation.methods import Comparable, MarketInputs
from marketplace.valuation.models import Valuation
from marketplace.valuation.report import (
    Kind,
    ValuationInputs,
    ValuationReport,
    combine,
    with_quality,
)
from marketplace.valuation.schemas import CertificationDraft, ValuationPublic, ValuationRequest

CLOCK_SKEW_S = 60  # a self-signed report's issue time may lie this far ahead of ours


@dataclass(frozen=True)
class _Prepared:
    asset_id: int
    revision: int
    inputs: ValuationInputs
    report: ValuationReport

    @property
    def subject(self) -> str:
        return self.report.subject


def _prepare(
    session: Session,
    principal: Principal,
    asset_id: int,
    request_inputs: ValuationInputs,
    *,
    kind: Kind,
    currency: Currency,
    issued_at: datetime,
) -> _Prepared:
    """The report for the newest revision the caller may see (the latest for the owner and
    operators, the registered one for a valuer from outside): quality scores filled in from its
    quality report, market comparables read through the repository's seam."""
    asset = assets.visible_asset(session, principal, asset_id)
    rules.check_may_value(principal, asset.owner_organization_id)
    if kind == "certified":
        rules.require_valuer(principal)
    number = visibility.newest_visible_revision(principal, asset)
    if not number:
        raise RevisionNotFound(f"asset {asset_id} has no content to value yet")
    quality, quality_hash = quality_service.latest_finished_report(session, asset_id, number)
    inputs = with_quality(request_inputs, quality)
    if inputs.market is not None:
        with_trades = visibility.is_insider(principal, asset)
        comparables = market_comparables(
            session, asset_id, inputs.market,
            trades_of=asset.owner_organization_id if with_trades else None, now=issued_at,
        )  # fmt: skip
        inputs = inputs.model_copy(
            update={"market": inputs.market.model_copy(update={"comparables": comparables})}
        )
    report = combine(
        inputs,
        kind=kind,
        subject=f"asset:{asset_id}@revision:{number}",
        currency=currency,
        issued_at=issued_at,
        quality_report_hash=quality_hash,
    )
    if kind == "certified":
        rules.require_value(report)
    return _Prepared(asset_id, number, inputs, report)


def market_comparables(
    session: Session,
    asset_id: int,
    market: MarketInputs,
    *,
    trades_of: int | None = None,
    now: datetime | None = None,
) -> list[Comparable]:
    """What the market approach compares asset ``asset_id`` with: the valuer's own comparables
    (through the repository's seam), the settled trades of organisation ``trades_of`` (the
    owner's, for a valuation its insiders issue: ``trade_comparables``), then this exchange's
    active listings of comparable assets (``exchange_comparables``), all within
    ``valuation_comparables_max``. A listing with a settled trade among the comparables is not
    also counted as an active listing: the trade's price is the better evidence of the same
    offer, and the offer is counted once."""
    known = repository.market_comparables(session, asset_id, market.comparables)
    room = limits.valuation_comparables_max - len(known)
    traded: list[tuple[int, Comparable]] = []
    if trades_of is not None and now is not None:
        limit = min(limits.valuation_trade_comparables_max, room)
        traded = trade_comparables(session, asset_id, market, trades_of, now=now, limit=limit)
    listing_room = min(limits.valuation_listing_comparables_max, room - len(traded))
    traded_listings = {listing_id for listing_id, _ in traded}
    listed = [
        c
        for listing_id, c in _listing_comparables(
            session, asset_id, market, listing_room + len(traded_listings)
        )
        if listing_id not in traded_listings
    ][: max(0, listing_room)]
    return known + [c for _, c in traded] + listed


def comparable_asset_ids(session: Session, asset_id: int) -> list[int] | None:
    """The asset and the public assets of its theme (None: any asset, when it has no theme), as
    the listings service chooses active listings to compare."""
    subject = assets.assets_by_ids(session, [asset_id]).get(asset_id)
    if subject is None or not subject.theme:
        return None
    same = assets.public_asset_ids_with_theme(
        session, subject.theme, asset_id, limits.listing_comparables_max
    )
    return [asset_id, *same]


def trade_comparables(
    session: Session,
    asset_id: int,
    subject: MarketInputs,
    organization_id: int,
    *,
    now: datetime,
    limit: int,
) -> list[tuple[int, Comparable]]:
    """Up to ``limit`` trades organisation ``organization_id`` bought or supplied, settled
    within ``valuation_trade_age_days_max`` of ``now``, of asset ``asset_id`` or assets
    comparable with it, each with the listing it came from: the latest one per listing, marked
    ``source="settled_trade"`` with its settlement date, terms and weight by age. A trade's
    price is known only to its parties and the operators, hence one organisation's own trades
    (docs/valuation.md#settled-trades)."""
    if limit <= 0:
        return []
    found = orders.settled_trades_of(
        session,
        organization_id,
        asset_ids=comparable_asset_ids(session, asset_id),
        since=now - timedelta(days=limits.valuation_trade_age_days_max),
        limit=limit * 4,
    )
    latest: dict[int, orders.SettledTrade] = {}
    for trade in found:  # most recently settled first
        latest.setdefault(trade.order.listing_id, trade)
    by_listing = {x.id: x for x in listings.public_many(session, list(latest))}
    themes = {
        a.id: a.theme
        for a in assets.assets_by_ids(session, [t.order.asset_id for t in latest.values()]).values()
    }
    comparables = []
    for listing_id, trade in latest.items():
        order = trade.order
        listing = by_listing.get(listing_id)
        if listing is None:
            continue
        quality, _ = quality_service.latest_finished_report(session, order.asset_id, order.revision)
        facts = exchange_comparables.Trade(
            order_id=order.id, listing_id=listing_id, asset_id=order.asset_id,
            price_minor=order.price_minor, currency=order.currency, quantity=order.quantity,
            purpose=order.purpose, source=trade.source, terms=order.terms,
            settled_at=trade.settled_at,
        )  # fmt: skip
        comparable = exchange_comparables.trade_comparable(
            facts, listing, themes.get(order.asset_id), quality, subject, now=now
        )
        if comparable is not None:
            comparables.append((listing_id, comparable))
    return comparables[:limit]


@dataclass(frozen=True)
class TradePrice:
    """One settled trade in the price history of the trades comparable with an asset."""

    order_id: int
    asset_id: int
    asset_title: str
    source: str  # listing | quote | auction
    unit_price_minor: int  # the amount paid over the quantity (1 for a one-off price)
    settled_at: datetime


def comparable_trade_prices(
    session: Session, principal: Principal | None, asset_id: int, *, now: datetime
) -> list[TradePrice]:
    """The price history a listing page draws: up to ``price_history_trades_max`` trades the
    market approach would read for asset ``asset_id`` (settled, of the asset or public assets of
    its theme, within ``valuation_trade_age_days_max``, of a listing with a one-off price),
    every one of them rather than the latest per listing, oldest first. Only the viewer's own
    organisation's trades, as ``trade_comparables`` reads them: a trade's price is known to its
    two parties and the operators alone, and an anonymous viewer gets none
    (docs/pages.md#price-history-of-comparable-trades)."""
    if principal is None:
        return []
    found = orders.settled_prices_of(
        session,
        principal.account.organization_id,
        asset_ids=comparable_asset_ids(session, asset_id),
        since=now - timedelta(days=limits.valuation_trade_age_days_max),
        limit=limits.price_history_trades_max,
    )
    listing_ids = list(dict.fromkeys(t.listing_id for t in found))
    kinds = {x.id: x.price_model.kind for x in listings.public_many(session, listing_ids)}
    titles = {
        i: a.title for i, a in assets.assets_by_ids(session, [t.asset_id for t in found]).items()
    }
    prices = [
        TradePrice(
            order_id=t.order_id,
            asset_id=t.asset_id,
            asset_title=titles.get(t.asset_id, ""),
            source=t.source,
            unit_price_minor=t.price_minor // max(1, t.quantity),
            settled_at=t.settled_at,
        )
        for t in found
        if kinds.get(t.listing_id) in exchange_comparables.ONE_OFF_KINDS
    ]
    return prices[::-1]


def listing_comparables(
    session: Session, asset_id: int, subject: MarketInputs, limit: int
) -> list[Comparable]:
    """Up to ``limit`` active listings of assets comparable with ``asset_id`` (as the listings
    service chooses them: same theme), each marked ``source="exchange"``; those that cannot be
    compared (a price per period or unit, no finished quality report) are left out."""
    return [c for _, c in _listing_comparables(session, asset_id, subject, limit)]


def _listing_comparables(
    session: Session, asset_id: int, subject: MarketInputs, limit: int
) -> list[tuple[int, Comparable]]:
    if limit <= 0:
        return []
    found = listings.active_comparables(session, asset_id, limit)
    themes = {
        a.id: a.theme for a in assets.assets_by_ids(session, [x.asset_id for x in found]).values()
    }
    comparables = []
    for listing in found:
        quality, _ = quality_service.latest_finished_report(
            session, listing.asset_id, listing.revision
        )
        comparable = exchange_comparables.listing_comparable(
            listing, themes.get(listing.asset_id), quality, subject
        )
        if comparable is not None:
            comparables.append((listing.id, comparable))
    return comparables


def _record(
    session: Session,
    principal: Principal,
    prepared: _Prepared,
    *,
    signature: str | None = None,
    certified: dict[str, Any] | None = None,
) -> Valuation:
    """Store the report and append ``valuation.issued`` (with the valuer's signature, for a
    certified one) in the same transaction. The journal is public and the revision may not be
    registered yet, so the entry holds ids and hashes, never the value: the report hash binds
    it, shown only to those who may see the revision."""
    asset_id, report = prepared.asset_id, prepared.report
    report_hash = report.report_hash()
    entry = journal.append(
        session,
        kind="valuation.issued",
        subject=f"asset:{asset_id}",
        actor=principal.address,
        payload={
            "asset_id": asset_id,
            "revision": prepared.revision,
            "kind": report.kind,
            "report_hash": report_hash,
            **(certified or {}),
        },
        signature=signature,
    )
    return repository.add(
        session,
        Valuation(
            asset_id=asset_id,
            revision=prepared.revision,
            kind=report.kind,
            issued_by=principal.account_id,
            inputs=prepared.inputs.model_dump(mode="json"),
            report=report.model_dump(mode="json"),
            report_hash=report_hash,
            value_minor=report.value_minor,
            signature=signature,
            journal_seq=entry.seq,
        ),
    )


def issue_indicative(
    session: Session,
    principal: Principal,
    asset_id: int,
    body: ValuationRequest,
    *,
    currency: Currency,
    now: datetime,
) -> Valuation:
    """Value the asset's latest revision and write ``valuation.issued`` with the report hash."""
    prepared = _prepare(
        session, principal, asset_id, body.inputs, kind="indicative", currency=currency,
        issued_at=now,
    )  # fmt: skip
    return _record(session, principal, prepared)


def certification_draft(
    session: Session,
    principal: Principal,
    asset_id: int,
    body: ValuationRequest,
    *,
    currency: Currency,
    ctx: assets.SigningContext,
    now: datetime,
) -> CertificationDraft:
    """The certified report a self-custody valuer signs, with a fresh nonce; writes nothing."""
    prepared = _prepare(
        session, principal, asset_id, body.inputs, kind="certified", currency=currency,
        issued_at=now,
    )  # fmt: skip
    nonce, deadline = signing.new_nonce(), int(now.timestamp()) + limits.signing_offer_ttl_s
    report_hash, document = _to_sign(prepared, principal, nonce, deadline, ctx)
    return CertificationDraft(
        report=prepared.report.model_dump(mode="json"),
        report_hash=report_hash,
        issued_at=now,
        nonce=str(nonce),
        deadline=deadline,
        typed_data=signing.wallet_json(document),
    )


def _to_sign(
    prepared: _Prepared, principal: Principal, nonce: int, deadline: int, ctx: assets.SigningContext
) -> tuple[str, dict[str, Any]]:
    """The certified report's hash and the EIP-712 document the valuer signs over it."""
    report_hash = prepared.report.report_hash()
    document = certification.typed_data(
        subject=prepared.subject,
        report_hash=report_hash,
        valuer=principal.address,
        nonce=nonce,
        deadline=deadline,
        domain=ctx.domain,
    )
    return report_hash, document


def issue_certified(
    session: Session,
    settings: Settings,
    principal: Principal,
    asset_id: int,
    body: ValuationRequest,
    *,
    currency: Currency,
    ctx: assets.SigningContext,
    now: datetime,
) -> Valuation:
    """A valuation signed (EIP-712) by a valuer: with its custodial key here, or by the valuer
    itself over the draft (``certification_draft``), checked here. The nonce is consumed once;
    the journal entry carries the signature."""
    now_s = int(now.timestamp())
    if body.signature is None:
        issued_at = now
        nonce, deadline = signing.new_nonce(), now_s + limits.signing_offer_ttl_s
    else:
        assert body.issued_at is not None
        assert body.nonce is not None
        assert body.deadline is not None
        issued_at, nonce, deadline = body.issued_at, body.nonce, body.deadline
        if issued_at > now + timedelta(seconds=CLOCK_SKEW_S):
            raise SignatureRejected("issued_at lies in the future: sign a fresh draft")
    prepared = _prepare(
        session, principal, asset_id, body.inputs, kind="certified", currency=currency,
        issued_at=issued_at,
    )  # fmt: skip
    report_hash, document = _to_sign(prepared, principal, nonce, deadline, ctx)
    signature = identity.signature_of(
        session, settings, principal, document, signature=body.signature,
        refused=lambda why: SignatureRejected(
            f"the signature does not cover this report ({report_hash}): {why}; get a fresh "
            "draft from POST /assets/{id}/valuations/draft and sign that"
        ),
    )  # fmt: skip
    identity.consume_signature_nonce(session, principal.address, nonce, deadline, now_s)
    return _record(
        session,
        principal,
        prepared,
        signature=signature,
        certified={
            "signer": principal.address,
            "nonce": str(nonce),
            "deadline": deadline,
            "chain_id": ctx.chain_id,
            "verifying_contract": ctx.domain["verifyingContract"],
        },
    )


def _certification(session: Session, valuation: Valuation) -> dict[str, Any] | None:
    """What the valuer signed, rebuilt from the journal entry (so anyone can check it)."""
    if valuation.signature is None:
        return None
    entry = repository.journal_entry(session, valuation.journal_seq)
    assert entry is not None
    payload = json.loads(entry.payload_json)
    document = certification.typed_data(
        subject=str(valuation.report["subject"]),
        report_hash=valuation.report_hash,
        valuer=str(payload["signer"]),
        nonce=int(payload["nonce"]),
        deadline=int(payload["deadline"]),
        domain=signing.domain(int(payload["chain_id"]), str(payload["verifying_contract"])),
    )
    return {
        "signer": payload["signer"],
        "nonce": payload["nonce"],
        "deadline": payload["deadline"],
        "typed_data": signing.wallet_json(document),
    }


def valuation_public(session: Session, valuation: Valuation) -> ValuationPublic:
    assert valuation.id is not None
    return ValuationPublic(
        id=valuation.id,
        asset_id=valuation.asset_id,
        revision=valuation.revision,
        kind=valuation.kind,
        report_hash=valuation.report_hash,
        value_minor=valuation.value_minor,
        journal_seq=valuation.journal_seq,
        created_at=valuation.created_at,
        report=valuation.report,
        signature=valuation.signature,
        certification=_certification(session, valuation),
    )


def rests_on_trades(valuation: Valuation) -> bool:
    """Whether the valuation's market approach compared settled trades (their prices are in its
    report)."""
    market = valuation.inputs.get("market") or {}
    return any(c.get("source") == "settled_trade" for c in market.get("comparables") or [])


def may_see(principal: Principal | None, asset: AssetFacts, valuation: Valuation) -> bool:
    """The caller may see the valuation's revision, and, for one that compared settled trades,
    is an insider (the owner organisation, a party to every trade compared, or an operator):
    a trade's price is shown to no one who could not see it in the orders or the books."""
    if not visibility.may_see_revision(principal, asset, valuation.revision):
        return False
    return not rests_on_trades(valuation) or visibility.is_insider(principal, asset)


def list_valuations(
    session: Session, principal: Principal | None, asset_id: int
) -> list[ValuationPublic]:
    """The valuations the caller may see (``may_see``)."""
    asset = assets.visible_asset(session, principal, asset_id)
    return [
        valuation_public(session, v)
        for v in repository.for_asset(session, asset_id)
        if may_see(principal, asset, v)
    ]


def get_valuation(
    session: Session, principal: Principal | None, asset_id: int, valuation_id: int
) -> Valuation:
    """One valuation the caller may see (``may_see``; valuations hold no sample values); 404
    otherwise, worded as for one that does not exist."""
    asset = assets.visible_asset(session, principal, asset_id)
    found = repository.get(session, asset_id, valuation_id)
    if found is None or not may_see(principal, asset, found):
        raise ValuationNotFound(f"asset {asset_id} has no valuation {valuation_id}")
    return found


@dataclass(frozen=True)
class ShownValuation:
    """A valuation as its page shows it: the report, who certified it, and the quality report it
    relied on as the caller may see it (sample values only for the owner and operators)."""

    report: ValuationReport
    valuation_id: int
    asset_id: int
    asset_title: str
    report_hash: str
    signature: str | None
    signer: str | None
    quality: QualityReport | None
    quality_hash: str | None


def shown_valuation(
    session: Session, principal: Principal | None, asset_id: int, valuation_id: int
) -> ShownValuation:
    """The valuation for its HTML page, with the quality report it relied on (sample values only
    for the owner and operators, as in the JSON)."""
    asset = assets.visible_asset(session, principal, asset_id)
    valuation = get_valuation(session, principal, asset_id, valuation_id)
    assert valuation.id is not None
    report = ValuationReport.model_validate(valuation.report)
    quality = (
        None
        if report.quality_report_hash is None
        else quality_service.report_by_hash(
            session, principal, asset_id, report.quality_report_hash
        )
    )
    certified = _certification(session, valuation)
    return ShownValuation(
        report=report,
        valuation_id=valuation.id,
        asset_id=asset_id,
        asset_title=asset.title,
        report_hash=valuation.report_hash,
        signature=valuation.signature,
        signer=None if certified is None else str(certified["signer"]),
        quality=quality,
        quality_hash=report.quality_report_hash,
    )


def valuation_by_id(session: Session, principal: Principal | None, valuation_id: int) -> Valuation:
    """One valuation, if the caller may see its revision (404 otherwise, worded as for one that
    does not exist)."""
    found = repository.by_id(session, valuation_id)
    if found is None:
        raise ValuationNotFound(f"no valuation {valuation_id}")
    try:
        return get_valuation(session, principal, found.asset_id, valuation_id)
    except (AssetNotFound, ValuationNotFound):
        raise ValuationNotFound(f"no valuation {valuation_id}") from None


def check_none_before_deletion(session: Session, asset_id: int) -> None:
    """A draft with valuation reports is kept: a report, certified ones signed by a valuer, is
    a document others may rely on (409)."""
    if repository.for_asset(session, asset_id):
        raise AssetStateConflict(
            f"asset {asset_id} has valuation reports; a draft with valuations cannot be deleted"
        )
