"""The price suggestion for an asset, for its owner: reads the asset's valuations (through the
valuation service) and comparable active listings, and lets the pure ``listings.suggestion``
reason over them. Reads only; never commits.

Not re-exported from ``listings.service``: the valuation service reads active listings through
``listings.service`` (its market approach), and this module reads valuations through the
valuation service, so importing it from the package would make the two packages import each
other while they load. Callers import this module by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as assets
from marketplace.assets.errors import NotAssetOwner
from marketplace.listings import suggestion
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.service.reads import active_comparables
from marketplace.money import Currency
from marketplace.principal import Principal
from marketplace.valuation import service as valuations
from marketplace.valuation.schemas import ValuationPublic


def price_suggestion(
    session: Session, principal: Principal, asset_id: int, currency: Currency
) -> suggestion.PriceSuggestion:
    """A price range for a one-off licence of the caller's asset, with the reasoning. Only the
    owner organisation may ask (its valuations may not be public): 404 for an asset the caller
    may not see, 403 for one it sees but does not own."""
    asset = assets.visible_asset(session, principal, asset_id)
    if principal.organization.id != asset.owner_organization_id:
        raise NotAssetOwner(
            f"asset {asset_id} belongs to another organisation: only its owner may ask for a "
            "price suggestion"
        )
    basis, without_value = _valuation_basis(
        valuations.list_valuations(session, principal, asset_id), currency
    )
    subject_size = (
        assets.revision_size_bytes(session, asset_id, asset.latest_revision)
        if asset.latest_revision
        else None
    )
    return suggestion.suggest(
        asset_id=asset_id,
        currency=currency,
        subject_size_bytes=subject_size,
        valuation=basis,
        valuations_without_value=without_value,
        comparables=_comparables(session, asset_id, asset.classification),
    )


def _valuation_basis(
    newest_first: Sequence[ValuationPublic], currency: Currency
) -> tuple[suggestion.ValuationBasis | None, int]:
    """The newest valuation with a value in the exchange's currency, and how many newer ones
    gave none."""
    for skipped, v in enumerate(newest_first):
        report = v.report
        if v.value_minor is None or report.get("currency") != currency.code:
            continue
        low, high = report.get("low_minor"), report.get("high_minor")
        return suggestion.ValuationBasis(
            valuation_id=v.id,
            kind=v.kind,
            revision=v.revision,
            issued_at=v.created_at,
            value_minor=v.value_minor,
            low_minor=low if isinstance(low, int) else v.value_minor,
            high_minor=high if isinstance(high, int) else v.value_minor,
        ), skipped
    return None, len(newest_first)


def _comparables(
    session: Session, asset_id: int, classification: str
) -> list[suggestion.ComparableListing]:
    """Active listings of other assets of the same theme (the listings service's choice) and
    the same classification, with their asset's size."""
    found: list[ListingPublic] = active_comparables(
        session, asset_id, limits.price_suggestion_comparables_max
    )
    rows = assets.assets_by_ids(session, [x.asset_id for x in found])
    comparables = []
    for listing in found:
        row = rows.get(listing.asset_id)
        if row is None or row.classification != classification:
            continue
        comparables.append(
            suggestion.ComparableListing(
                listing_id=listing.id,
                asset_id=listing.asset_id,
                price_kind=listing.price_model.kind,
                headline_minor=listing.headline_minor,
                theme=row.theme,
                classification=row.classification,
                size_bytes=assets.revision_size_bytes(session, listing.asset_id, listing.revision),
            )
        )
    return comparables
