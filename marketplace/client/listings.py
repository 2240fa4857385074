"""``bourse.listings``: offer an approved asset under terms and a price (signed by the exchange
with a custodial key, or here with your own), read a listing and its ODRL policy (no login),
pause, resume and withdraw it. Its schemas are imported where used, like quality's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.listings.schemas import ListingDraft, ListingPublic


class Listings:
    def __init__(self, session: Session) -> None:
        self._session = session

    def create(
        self,
        asset_id: int,
        terms: Mapping[str, Any],
        price_model: Mapping[str, Any],
        *,
        private_key: bytes | str | None = None,
        fingerprint: bool = False,
    ) -> ListingPublic:
        """List the asset. A custodial supplier's key signs on the exchange; a self-custody
        supplier passes ``private_key`` and the draft is signed here, locally. ``fingerprint``
        marks each licensed copy for its licence (CSV tables only)."""
        from marketplace.listings.schemas import ListingPublic

        body: dict[str, Any] = {
            "asset_id": asset_id,
            "terms": dict(terms),
            "price_model": dict(price_model),
        }
        if private_key is not None:
            body |= self._signed(body, private_key)
        if fingerprint:
            body["fingerprint"] = True
        return self._session.call(ListingPublic, "POST", "/listings", json=body)

    def _signed(self, body: dict[str, Any], private_key: bytes | str) -> dict[str, Any]:
        """The draft's nonce and deadline, and the supplier's signature over it, made here."""
        from marketplace.identity import signing

        draft = self.draft(body["asset_id"], body["terms"], body["price_model"])
        key = (
            bytes.fromhex(private_key.removeprefix("0x"))
            if isinstance(private_key, str)
            else private_key
        )
        return {
            "nonce": int(draft.nonce),
            "deadline": draft.deadline,
            "signature": signing.sign(key, draft.typed_data),
        }

    def draft(
        self, asset_id: int, terms: Mapping[str, Any], price_model: Mapping[str, Any]
    ) -> ListingDraft:
        """The offer to sign (EIP-712 typed data) with its nonce and deadline; writes nothing."""
        from marketplace.listings.schemas import ListingDraft

        body = {"asset_id": asset_id, "terms": dict(terms), "price_model": dict(price_model)}
        return self._session.call(ListingDraft, "POST", "/listings/draft", json=body)

    def get(self, listing_id: int) -> ListingPublic:
        """One listing (no login needed)."""
        from marketplace.listings.schemas import ListingPublic

        return self._session.call(ListingPublic, "GET", f"/listings/{listing_id}")

    def for_asset(self, asset_id: int) -> list[ListingPublic]:
        """The asset's active listings, as ``GET /assets/{id}`` shows them (no login needed)."""
        from marketplace.listings.schemas import ListingPublic

        body = self._session.json("GET", f"/assets/{asset_id}")
        return [ListingPublic.model_validate(item) for item in body.get("listings", [])]

    def odrl(self, listing_id: int) -> dict[str, Any]:
        """The listing's policy as ODRL 2.2 JSON-LD (no login needed)."""
        return self._session.json("GET", f"/listings/{listing_id}/odrl")

    def pause(self, listing_id: int) -> ListingPublic:
        return self._change(listing_id, "pause")

    def resume(self, listing_id: int) -> ListingPublic:
        return self._change(listing_id, "resume")

    def withdraw(self, listing_id: int) -> ListingPublic:
        return self._change(listing_id, "withdraw")

    def _change(self, listing_id: int, event: str) -> ListingPublic:
        from marketplace.listings.schemas import ListingPublic

        return self._session.call(ListingPublic, "POST", f"/listings/{listing_id}/{event}")
