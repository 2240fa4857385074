"""``bourse.auctions``: sealed-bid auctions of exclusive licences. Open one (suppliers), commit
a sealed bid and reveal it (buyers), read and resolve one (anyone). The commitment is computed
here, locally: the amount and salt never leave the machine before the reveal."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from marketplace.auctions.commitment import commitment as seal
from marketplace.auctions.commitment import new_salt
from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.auctions.schemas import AuctionPublic, BidPublic
    from marketplace.orders.schemas import OrderDraft, OrderPublic


class Auctions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open(
        self,
        listing_id: int,
        *,
        reserve_minor: int,
        commit_deadline: datetime,
        reveal_deadline: datetime,
    ) -> AuctionPublic:
        from marketplace.auctions.schemas import AuctionPublic

        body = {
            "listing_id": listing_id,
            "reserve_minor": reserve_minor,
            "commit_deadline": commit_deadline.isoformat(),
            "reveal_deadline": reveal_deadline.isoformat(),
        }
        return self._session.call(AuctionPublic, "POST", "/auctions", json=body)

    def get(self, auction_id: int) -> AuctionPublic:
        """The auction (public); past its reveal deadline this resolves it."""
        from marketplace.auctions.schemas import AuctionPublic

        return self._session.call(AuctionPublic, "GET", f"/auctions/{auction_id}")

    def for_listing(self, listing_id: int) -> list[AuctionPublic]:
        from marketplace.auctions.schemas import AuctionPublic

        return self._session.call_list(AuctionPublic, f"/auctions?listing_id={listing_id}")

    def commit(
        self,
        auction_id: int,
        *,
        bidder: str,
        amount_minor: int,
        purpose: str,
        salt: str | None = None,
    ) -> tuple[BidPublic, str]:
        """Commit a sealed bid of ``amount_minor`` for the account at address ``bidder`` (the
        caller's: ``identity.me().account.address``). Returns the bid and the salt: keep both
        the amount and the salt, the reveal needs them."""
        from marketplace.auctions.schemas import BidPublic

        salt = salt or new_salt()
        body = {"commitment": seal(auction_id, bidder, amount_minor, salt), "purpose": purpose}
        bid = self._session.call(BidPublic, "POST", f"/auctions/{auction_id}/bids", json=body)
        return bid, salt

    def reveal(self, auction_id: int, *, amount_minor: int, salt: str) -> BidPublic:
        from marketplace.auctions.schemas import BidPublic

        body = {"amount_minor": amount_minor, "salt": salt}
        return self._session.call(BidPublic, "POST", f"/auctions/{auction_id}/reveal", json=body)

    def my_bid(self, auction_id: int) -> BidPublic:
        from marketplace.auctions.schemas import BidPublic

        return self._session.call(BidPublic, "GET", f"/auctions/{auction_id}/bids/mine")

    def resolve(self, auction_id: int) -> AuctionPublic:
        from marketplace.auctions.schemas import AuctionPublic

        return self._session.call(AuctionPublic, "POST", f"/auctions/{auction_id}/resolve")

    def cancel(self, auction_id: int) -> AuctionPublic:
        from marketplace.auctions.schemas import AuctionPublic

        return self._session.call(AuctionPublic, "POST", f"/auctions/{auction_id}/cancel")

    def order_draft(self, auction_id: int) -> OrderDraft:
        """The winner's order, to sign with your own key (the winner; writes nothing)."""
        from marketplace.orders.schemas import OrderDraft

        return self._session.call(OrderDraft, "POST", f"/auctions/{auction_id}/order/draft")

    def place_order(self, auction_id: int, *, private_key: bytes | None = None) -> OrderPublic:
        """Place the winner's order at the auction's price (the winner, once). Self-custody
        winners pass their ``private_key``: the order is signed here, locally, over the draft,
        once it is checked to be at the auction's price for its listing (``order_mismatch``).
        Custodial winners pass nothing (their order is usually placed at resolution)."""
        from marketplace.orders.schemas import OrderPublic

        path = f"/auctions/{auction_id}/order"
        if private_key is None:
            return self._session.call(OrderPublic, "POST", path)
        from eth_account import Account

        from marketplace.client.orders import check_order_draft
        from marketplace.client.session import DatabourseClientError
        from marketplace.identity import signing

        auction = self.get(auction_id)
        if auction.result is None or auction.result.price_minor is None:
            raise DatabourseClientError(
                0, "order_mismatch", f"auction {auction_id} has no winning price; not signed"
            )
        draft = self.order_draft(auction_id)
        check_order_draft(
            draft, buyer=Account.from_key(private_key).address, listing_id=auction.listing_id,
            price_minor=auction.result.price_minor, source="auction", source_id=auction_id,
        )  # fmt: skip
        body = {
            "signature": signing.sign(private_key, draft.typed_data),
            "nonce": int(draft.nonce),
            "deadline": draft.deadline,
        }
        return self._session.call(OrderPublic, "POST", path, json=body)
