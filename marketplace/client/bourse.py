"""The root client: one session with one exchange, and a sub-client per domain on it."""

from __future__ import annotations

from typing import Self

import httpx

from marketplace.client.assets import Assets
from marketplace.client.auctions import Auctions
from marketplace.client.books import Books
from marketplace.client.delivery import Delivery
from marketplace.client.demands import Demands
from marketplace.client.dispute_evidence import DisputeEvidence
from marketplace.client.disputes import Disputes
from marketplace.client.dossier import Dossiers
from marketplace.client.fingerprint import Fingerprint
from marketplace.client.identity import Identity
from marketplace.client.inbox import Inbox
from marketplace.client.ledger import Ledger
from marketplace.client.listings import Listings
from marketplace.client.objections import Objections
from marketplace.client.orders import Orders
from marketplace.client.pricing import Pricing
from marketplace.client.quality import Quality
from marketplace.client.quotes import Quotes
from marketplace.client.search import Search
from marketplace.client.session import DEFAULT_TIMEOUT_S, Session
from marketplace.client.valuation import Valuation
from marketplace.money import Currency


class Databourse:
    """A session with one exchange. Holds at most one bearer token, which every sub-client
    sends: ``identity`` (accounts, organisations), ``assets``, ``objections``, ``orders``,
    ``quality``, ``valuation``, ``listings``, ``search`` (the catalog's listings), ``pricing``,
    ``demands``, ``quotes``, ``auctions``, ``ledger``, ``inbox`` (notifications and the
    webhook), ``books`` (balance, deposits, withdrawals, statements) and ``delivery``
    (licences and downloads); ``dossiers`` (a dispute's record and its exported dossier)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._session = Session(base_url, token=token, timeout_s=timeout_s, transport=transport)
        self.identity = Identity(self._session)
        self.assets = Assets(self._session)
        self.objections = Objections(self._session)
        self.orders = Orders(self._session)
        self.disputes = Disputes(self._session)
        self.quality = Quality(self._session)
        self.valuation = Valuation(self._session)
        self.demands = Demands(self._session)
        self.quotes = Quotes(self._session)
        self.auctions = Auctions(self._session)
        self.listings = Listings(self._session)
        self.pricing = Pricing(self._session)
        self.search = Search(self._session)
        self.ledger = Ledger(self._session)
        self.inbox = Inbox(self._session)
        self.books = Books(self._session)
        self.fingerprint = Fingerprint(self._session)
        self.delivery = Delivery(self._session)
        self.dispute_evidence = DisputeEvidence(self._session)
        self.dossiers = Dossiers(self._session)

    @property
    def base_url(self) -> str:
        return self._session.base_url

    @property
    def token(self) -> str | None:
        """The bearer token sent with every request: set by ``identity.login`` (and signup),
        cleared by ``identity.logout``; assign one kept from an earlier session."""
        return self._session.token

    @token.setter
    def token(self, value: str | None) -> None:
        self._session.token = value

    def currency(self) -> Currency:
        """The exchange's currency and minor-unit scale (``GET /currency``): format an
        amount with ``.format(minor)``."""
        data = self._session.json("GET", "/currency")
        return Currency(str(data["currency"]), int(data["scale"]))

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
