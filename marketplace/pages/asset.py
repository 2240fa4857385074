"""``/catalog/{id}``: one listed asset as the public sees it — its offers (price and terms in
plain words), DCAT metadata, compliance facts, revisions, the Table Schema, the quality radar,
the valuation summary, the price history of comparable trades (the viewer's own: trade prices
are not public), and its registration certificate with a "verify" action.

``certificate_check`` is that action: the checks ``bourse verify cert.json`` makes apart from
the chain (both signatures, the certificate is the journal entry, the entry's Merkle proof up to
its batch root). It says plainly that the chain itself is checked by the command, pinned to the
exchange's contract, not by the exchange's own page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ledger.models import utc_now
from ledger.verify.receipt import ReceiptInvalid, check_receipt_offline, parse_receipt
from marketplace.assets import service as asset_service
from marketplace.assets.certificate import CertificateInvalid, check_certificate_document
from marketplace.assets.models import AssetRevision
from marketplace.assets.schemas import AssetPublic
from marketplace.assets.vocabulary import LICENSES
from marketplace.errors import NotFound
from marketplace.listings import service as listing_service
from marketplace.listings.schemas import ListingPublic
from marketplace.pages.catalog import public_quality
from marketplace.pages.price_history import PriceChart, price_chart
from marketplace.pages.quality import RadarChart, radar_chart
from marketplace.principal import Principal
from marketplace.quality.report import QualityReport
from marketplace.quality.schemas import EvaluationPublic
from marketplace.transparency import service as transparency_service
from marketplace.transparency.errors import EntryNotAnchored
from marketplace.valuation import service as valuation_service
from marketplace.valuation.exchange_comparables import ONE_OFF_KINDS
from marketplace.valuation.schemas import ValuationPublic


@dataclass(frozen=True)
class AssetView:
    asset: AssetPublic
    licence_url: str | None
    listings: list[ListingPublic]
    revisions: list[AssetRevision]
    schema_fields: list[dict[str, Any]]
    quality: EvaluationPublic | None
    radar: RadarChart | None  # the quality radar's geometry (pages.quality)
    valuations: list[ValuationPublic]
    signed_in: bool  # the price history shows the viewer's own trades: none without a viewer
    price_history: PriceChart | None  # None: no comparable trade the viewer was a party to
    certificate: dict[str, Any] | None  # GET /assets/{id}/certificate's document


@dataclass(frozen=True)
class CertificateCheck:
    ok: bool
    message: str  # why it failed (the checker's own words), empty when it passed
    anchored: bool  # the receipt's proof was checked too


def _receipt_or_none(session: Session, seq: int) -> dict[str, Any] | None:
    try:
        return transparency_service.receipt(session, seq)
    except EntryNotAnchored:
        return None


def certificate_document(session: Session, asset_id: int) -> dict[str, Any] | None:
    try:
        return asset_service.certificate_document(session, None, asset_id, _receipt_or_none)
    except NotFound:
        return None


def _radar(quality: EvaluationPublic | None) -> RadarChart | None:
    if quality is None or quality.report is None:
        return None
    return radar_chart(QualityReport.model_validate(quality.report).dimensions)


def asking_minor(offers: list[ListingPublic]) -> int | None:
    """The lowest one-off price the asset is offered at (what its trades compare with)."""
    prices = [
        x.headline_minor for x in offers if x.price_model.kind in ONE_OFF_KINDS and x.headline_minor
    ]
    return min(prices, default=None)


def asset_view(session: Session, asset_id: int, viewer: Principal | None = None) -> AssetView:
    """404 (``asset_not_found``) unless the asset is listed: the public's view, and the
    comparable trades ``viewer``'s organisation was a party to."""
    asset = asset_service.asset_public(asset_service.visible_asset(session, None, asset_id))
    revisions = asset_service.list_revisions(session, None, asset_id)
    last = revisions[-1] if revisions else None
    fields = (last.table_schema or {}).get("fields", []) if last is not None else []
    quality = public_quality(session, asset_id)
    offers = listing_service.for_asset(session, asset_id)
    trades = valuation_service.comparable_trade_prices(session, viewer, asset_id, now=utc_now())
    return AssetView(
        asset=asset,
        licence_url=LICENSES.get(asset.license),
        listings=offers,
        revisions=revisions,
        schema_fields=[f for f in fields if isinstance(f, dict)],
        quality=quality,
        radar=_radar(quality),
        valuations=valuation_service.list_valuations(session, None, asset_id),
        signed_in=viewer is not None,
        price_history=price_chart(trades, asset_id, asking_minor(offers)),
        certificate=certificate_document(session, asset_id),
    )


def constraints_text(constraints: object) -> str:
    """A field's constraints as the supplier declared them (``minimum: 0, required: true``)."""
    if not isinstance(constraints, dict) or not constraints:
        return ""
    return ", ".join(f"{name}: {json.dumps(value)}" for name, value in constraints.items())


def certificate_check(document: dict[str, Any]) -> CertificateCheck:
    try:
        receipt = check_certificate_document(document)
        if receipt is not None:
            check_receipt_offline(parse_receipt(json.dumps(receipt)))
    except (CertificateInvalid, ReceiptInvalid) as exc:
        return CertificateCheck(False, str(exc), False)
    return CertificateCheck(True, "", receipt is not None)
