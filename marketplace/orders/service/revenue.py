"""Public data (公共数据) revenue against its ceiling: the national pricing guidance caps a
public-data price at cost plus a reasonable margin, and the exchange reports what the listing
earned against that ceiling. Its supplier and operators read it."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.listings import service as listings
from marketplace.listings.price_models import PublicData
from marketplace.orders import lifecycle, repository
from marketplace.orders.errors import NotPublicData, RevenueForbidden
from marketplace.orders.schemas import PublicDataRevenue
from marketplace.principal import OrgRole, Principal

BASIS = (
    "settled orders: the money buyers paid that was released to the supplier (before the "
    "exchange fee); orders still in escrow are not counted"
)


def public_data_revenue(
    session: Session, principal: Principal, listing_id: int
) -> PublicDataRevenue:
    """The listing's ceiling (cost + margin) against the price it charges, and the orders
    counted so far (``BASIS`` says which)."""
    listing = listings.public(session, listing_id)
    is_operator = OrgRole.operator.value in principal.roles
    if not is_operator and listing.supplier_organization_id != principal.organization.id:
        raise RevenueForbidden("only the listing's supplier and operators see its revenue")
    model = listing.price_model
    if not isinstance(model, PublicData):
        raise NotPublicData(
            f"listing {listing_id} is priced {model.kind}, not in public-data mode: revenue "
            "against a ceiling is reported for public-data listings only"
        )
    orders, quantity, revenue = repository.totals(
        session, listing_id, [s.value for s in lifecycle.COUNTED_AS_REVENUE]
    )
    ceiling = model.ceiling_minor
    return PublicDataRevenue(
        listing_id=listing_id,
        currency=listing.currency,
        cost_minor=model.cost_minor,
        margin_bp=model.margin_bp,
        ceiling_minor=ceiling,
        price_minor=model.price_minor,
        within_ceiling=model.price_minor <= ceiling,
        orders=orders,
        quantity=quantity,
        revenue_minor=revenue,
        ceiling_revenue_minor=ceiling * quantity,
        basis=BASIS,
    )
