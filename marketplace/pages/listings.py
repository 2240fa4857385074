"""What a listing costs and allows, as the catalog and the asset page show it: first, before
anything else about the asset. Pure: fed the listings the listings service returns."""

from __future__ import annotations

from marketplace.listings.schemas import FINGERPRINT_NOTE, ListingPublic
from marketplace.pages.layout import esc, link

UNDER_OBJECTION_NOTE = "under objection 异议中"


def price_cell(listings: list[ListingPublic]) -> str:
    """The catalog's price column: each active listing's price in plain words, cheapest first
    (negotiable last)."""
    if not listings:
        return '<span class="meta">not offered</span>'
    ordered = sorted(listings, key=lambda item: (item.headline_minor is None, item.headline_minor))
    return "<br>".join(
        f'<span class="price">{esc(item.price_plain)}</span>'
        f' <span class="meta">({esc(item.terms_plain[0].removesuffix("."))})</span>'
        for item in ordered
    )


def listings_section(listings: list[ListingPublic]) -> str:
    """The asset page's first section: every active listing, price first, terms in plain words,
    with its JSON and ODRL policy."""
    if not listings:
        return (
            '<h2>Price and terms</h2><p class="meta offers none">'
            "No active offer: this asset cannot be bought right now.</p>"
        )
    cards = []
    for item in listings:
        flag = (
            f' <span class="flag under-objection">{UNDER_OBJECTION_NOTE}</span>'
            if item.under_objection
            else ""
        )
        lines = [*item.terms_plain, *([FINGERPRINT_NOTE] if item.fingerprint else [])]
        words = "".join(f"<li>{esc(line)}</li>" for line in lines)
        cards.append(
            f'<div class="card offer" id="listing-{item.id}">'
            f'<span class="big price">{esc(item.price_plain)}</span>{flag}'
            f'<ul class="terms">{words}</ul>'
            + (
                f'<p><a class="btn btn-primary buy" href="/buyer/buy/{item.id}">Buy</a></p>'
                if item.available
                else ""
            )
            + f'<p class="meta">listing {item.id} · '
            f"{link(f'/listings/{item.id}', 'JSON')} · "
            f"{link(f'/listings/{item.id}/odrl', 'ODRL policy')} · signed by "
            f'<span class="hash">{esc(item.signer)}</span></p></div>'
        )
    return '<h2>Price and terms</h2><div class="cards offers">' + "".join(cards) + "</div>"
