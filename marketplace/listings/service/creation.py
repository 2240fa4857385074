"""Creating a listing: the supplier's own approved or listed asset, offered under terms and a
price model it signs (EIP-712 ``ListingOffer``).

1. The asset is the caller's (404 when it may not see it, 403 when another organisation's),
   locked for the rest of the transaction, so concurrent creates of one asset run one at a time.
2. It must be approved or listed (409 naming its status otherwise); important data is offered
   only key-wrapped; core data never.
3. The offer binds the registered revision and its content hash. An open listing with the same
   terms hash (same revision, terms, price and currency) is a duplicate (409).
4. The signature: made with the custodial key, or the client's checked against the offer it
   fetched from ``draft``; either way the (nonce, deadline) is consumed once.
5. The first listing of an approved asset lists it (the asset's ``list`` event, ``asset.listed``).
6. The row and its ``listing.created`` entry (terms hash, terms, price model, asset, revision and
   content hash; the signature in the entry's signature field) are written in this transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as assets
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.identity.errors import SignatureRejected
from marketplace.listings import indexing, lifecycle, price_models, repository
from marketplace.listings.errors import (
    AssetNotListable,
    DuplicateListing,
    ExclusiveConflict,
    InvalidTerms,
    TooManyListings,
)
from marketplace.listings.models import Listing
from marketplace.listings.offer import Offer
from marketplace.listings.schemas import ListingCreate, ListingDraft, ListingOffer, ListingPublic
from marketplace.listings.service._common import (
    APPROVED,
    LISTED,
    AssetRow,
    journal_listing,
    to_public,
)
from marketplace.money import Currency
from marketplace.principal import Principal
from marketplace.settings import Settings

IMPORTANT = "important"
CORE = "core"


def _listable_asset(session: Session, principal: Principal, body: ListingOffer) -> AssetRow:
    asset: AssetRow = assets.owned_asset(session, principal, body.asset_id)
    # The row was read once before its lock was granted: read it again under the lock, so that
    # a create that waited for another sees the status that one left (listed, not approved).
    session.refresh(asset)
    if asset.classification == CORE:
        raise AssetNotListable("core data (核心数据) may be registered but never listed")
    if asset.status not in (APPROVED, LISTED):
        raise AssetNotListable(
            f"asset {body.asset_id} is {asset.status}; only an approved or listed asset can be "
            "offered (submit it for review and wait for its approval)"
        )
    if asset.classification == IMPORTANT and body.terms.delivery_mode != "key_wrapped":
        raise InvalidTerms(
            "important data (重要数据) is delivered only key-wrapped: set delivery_mode to "
            '"key_wrapped"'
        )
    return asset


def _offer(
    session: Session, principal: Principal, body: ListingOffer, currency: Currency
) -> tuple[AssetRow, Offer]:
    asset = _listable_asset(session, principal, body)
    number = asset.certified_revision
    assert number is not None, "an approved asset has a registered revision"
    revision = assets.stored_revision(session, body.asset_id, number)
    assert revision is not None
    offer = Offer(
        asset_id=body.asset_id,
        revision=number,
        content_hash=revision.sha256,
        supplier=principal.address,
        terms=body.terms,
        price_model=body.price_model,
        currency=currency.code,
    )
    return asset, offer


def _check_fingerprintable(session: Session, body: ListingCreate, revision: int) -> None:
    """A fingerprint is made in an uploaded CSV table's decimals; other content cannot carry
    one, and a listing must not promise what its downloads cannot keep."""
    if not body.fingerprint:
        return
    if body.terms.delivery_mode == "key_wrapped":  # served as the stored ciphertext: unmarked
        raise InvalidTerms(
            "fingerprint is offered for plain downloads only: a key_wrapped download serves the "
            "stored ciphertext, which carries no mark"
        )
    stored = assets.stored_revision(session, body.asset_id, revision)
    assert stored is not None
    if stored.source != "upload" or stored.content_format != "csv":
        raise InvalidTerms(
            f"fingerprint is offered for uploaded CSV tables only; revision {revision} of "
            f"asset {body.asset_id} is {stored.content_format} ({stored.source})"
        )


def _check_not_duplicate(session: Session, offer: Offer, *, exclusive: bool) -> None:
    same = repository.open_with_hash(session, offer.asset_id, offer.terms_hash(), lifecycle.OPEN)
    if same is not None:
        raise DuplicateListing(
            f"listing {same.id} already offers asset {offer.asset_id} under these terms and "
            "price; pause, resume or withdraw it instead"
        )
    others = repository.of_asset(
        session, offer.asset_id, lifecycle.OPEN, limits.listings_per_asset_max
    )
    # An exclusive licence is one buyer's only: no other open listing may sell the same asset
    # beside it, or two buyers could each buy "exclusive" rights to it.
    held = next((o for o in others if exclusive or o.exclusive), None)
    if held is not None:
        raise ExclusiveConflict(
            f"listing {held.id} already offers asset {offer.asset_id}"
            + (" exclusively" if held.exclusive else "")
            + "; an exclusive listing must be the asset's only open listing: withdraw "
            "the other first"
        )
    count = len(others)
    if count >= limits.listings_per_asset_max:
        raise TooManyListings(
            f"asset {offer.asset_id} has {count} open listings, the most it may have; "
            "withdraw one first"
        )


def draft(
    session: Session,
    principal: Principal,
    body: ListingOffer,
    *,
    currency: Currency,
    ctx: assets.SigningContext,
    now: datetime,
) -> ListingDraft:
    """The offer a self-custody supplier signs, with a fresh nonce; writes nothing."""
    _, offer = _offer(session, principal, body, currency)
    _check_not_duplicate(session, offer, exclusive=body.terms.exclusive)
    nonce, deadline = signing.new_nonce(), int(now.timestamp()) + limits.signing_offer_ttl_s
    document = offer.typed_data(ctx.domain, nonce=nonce, deadline=deadline)
    return ListingDraft(
        terms_hash=offer.terms_hash(),
        nonce=str(nonce),
        deadline=deadline,
        typed_data=signing.wallet_json(document),
    )


def _signature(
    session: Session,
    settings: Settings,
    principal: Principal,
    offer: Offer,
    *,
    body: ListingCreate,
    ctx: assets.SigningContext,
    now_s: int,
) -> tuple[str, int, int, dict[str, object]]:
    """The supplier's signature, nonce, deadline and the typed data signed; the nonce is
    consumed here, once."""
    nonce, deadline = identity.nonce_and_deadline(body.signature, body.nonce, body.deadline, now_s)
    document = offer.typed_data(ctx.domain, nonce=nonce, deadline=deadline)
    signature = identity.signature_of(
        session, settings, principal, document, signature=body.signature,
        refused=lambda why: SignatureRejected(
            f"the signature does not cover this offer ({offer.terms_hash()}): {why}; get "
            "the offer from POST /listings/draft and sign that"
        ),
    )  # fmt: skip
    identity.consume_signature_nonce(session, principal.address, nonce, deadline, now_s)
    return signature, nonce, deadline, signing.wallet_json(document)


def create(
    session: Session,
    settings: Settings,
    principal: Principal,
    body: ListingCreate,
    *,
    ctx: assets.SigningContext,
    now: datetime,
) -> ListingPublic:
    """A new active listing, signed by the supplier and journaled (``listing.created``)."""
    currency = settings.currency_unit
    asset, offer = _offer(session, principal, body, currency)
    _check_fingerprintable(session, body, offer.revision)
    _check_not_duplicate(session, offer, exclusive=body.terms.exclusive)
    signature, nonce, deadline, signed = _signature(
        session, settings, principal, offer, body=body, ctx=ctx, now_s=int(now.timestamp())
    )
    if asset.status == APPROVED:
        asset = assets.list_asset(session, principal, body.asset_id, now)
    model = body.price_model
    listing = repository.add(
        session,
        Listing(
            asset_id=offer.asset_id,
            revision_id=offer.revision,
            supplier_organization_id=principal.account.organization_id,
            status=lifecycle.INITIAL,
            terms=body.terms.model_dump(mode="json"),
            price_model=model.model_dump(mode="json"),
            price_kind=model.kind,
            headline_minor=price_models.headline_minor(model),
            currency=currency.code,
            currency_scale=currency.scale,
            exclusive=body.terms.exclusive,
            fingerprint=body.fingerprint,
            terms_hash=offer.terms_hash(),
            signer=principal.address,
            signature=signature,
            nonce=str(nonce),
            deadline=deadline,
            offer=signed,
            created_at=now,
            updated_at=now,
            journal_seq=0,  # set below, once the entry naming the new id is written
        ),
    )
    entry = journal_listing(
        session,
        lifecycle.CREATED_KIND,
        listing,
        principal.address,
        signature=signature,
        **offer.document(),
        terms_hash=offer.terms_hash(),
        signer=principal.address,
        nonce=str(nonce),
        deadline=deadline,
        chain_id=ctx.chain_id,
        verifying_contract=ctx.domain["verifyingContract"],
    )
    listing.journal_seq = entry.seq
    session.add(listing)
    session.flush()
    suspended = identity.is_suspended(session, listing.supplier_organization_id)
    public = to_public(listing, asset, supplier_suspended=suspended)
    indexing.listing_changed(session, public)
    return public
