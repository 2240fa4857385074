"""Fingerprint rules: marking each licensed copy of a fingerprinted listing as it is served, and
naming the licence a leaked copy came from. Services never commit.

Serving (``attach`` registers ``transform_for`` in delivery's ``served_transforms``):
1. A licence whose listing has ``fingerprint`` set gets a transform; others get none.
2. The transform reads the whole plaintext (at most ``fingerprint_table_bytes_max``), marks it
   for the licence with the asset's key, and yields the marked bytes. It is deterministic, as
   delivery requires: the same licence always gets the same bytes (the key derives from the
   secret and the asset, the codeword from the licence id, the cells marked from the content
   and the revision's key columns). Delivery runs it once per licence, at its first URL, and
   keeps the output as the licence's marked copy, which every later URL and range serves.
3. Content that cannot carry a mark is refused (409 ``not_fingerprintable``) when the download
   URL is asked for, never served unmarked.

Detection (``detect_copy``):
1. The caller is the asset's owner, an operator or an arbitrator (404 if it may not see the
   asset, 403 otherwise).
2. The candidates are every licence granted on the asset (delivery's ``licence_ids_for_asset``),
   grouped by revision so each group is read with its own key columns protected.
3. The answer and the file's SHA-256 are journaled (``fingerprint.detected``, subject
   ``asset:{id}``) in the caller's transaction: the detection is evidence, and its record
   cannot be changed later.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from ledger import journal
from marketplace import limits
from marketplace.assets import service as assets
from marketplace.delivery import service as delivery
from marketplace.delivery.schemas import LicenceView
from marketplace.fingerprint import marking
from marketplace.fingerprint.errors import NotFingerprintable, UnreadableCopy
from marketplace.fingerprint.schemas import FingerprintDetection
from marketplace.listings import service as listings
from marketplace.principal import OrgRole, Principal, RoleRequired
from marketplace.settings import Settings

DETECTED_KIND = "fingerprint.detected"
_secret: list[bytes] = []  # the service secret the running app marks with (set by ``attach``)


def attach(settings: Settings) -> None:
    """Mark fingerprinted downloads with keys derived from this app's secret key."""
    _secret[:] = [settings.secret_key.get_secret_value().encode()]
    if transform_for not in delivery.served_transforms:
        delivery.served_transforms.append(transform_for)


def _key(secret: bytes, asset_id: int) -> bytes:
    return marking.asset_key(secret, asset_id)


def protected_columns(session: Session, asset_id: int, revision: int) -> frozenset[str]:
    """The revision's key columns (its table schema's primary and foreign keys): never marked."""
    stored = assets.stored_revision(session, asset_id, revision)
    schema: Any = stored.table_schema if stored is not None else None
    if not isinstance(schema, dict):
        return frozenset()
    names: set[str] = set()
    primary = schema.get("primaryKey")
    names.update([primary] if isinstance(primary, str) else primary or [])
    for foreign in schema.get("foreignKeys") or []:
        fields = foreign.get("fields") if isinstance(foreign, dict) else None
        names.update([fields] if isinstance(fields, str) else fields or [])
    return frozenset(n for n in names if isinstance(n, str))


def transform_for(
    session: Session, licence: LicenceView, media_type: str
) -> delivery.PlaintextTransform | None:
    """The marking transform for a fingerprinted listing's licence; None for any other."""
    if not listings.public(session, licence.listing_id).fingerprint:
        return None
    if not _secret:
        raise NotFingerprintable("fingerprinting is not set up on this exchange")
    key = _key(_secret[0], licence.asset_id)
    protected = protected_columns(session, licence.asset_id, licence.revision)

    def marked(chunks: Iterator[bytes]) -> Iterator[bytes]:
        content = bytearray()
        for chunk in chunks:
            content += chunk
            if len(content) > limits.fingerprint_table_bytes_max:
                raise NotFingerprintable(
                    f"the revision is over {limits.fingerprint_table_bytes_max} bytes, the most "
                    "a fingerprinted download marks"
                )
        try:
            yield marking.mark(bytes(content), licence.id, key, protected=protected)
        except marking.NotMarkable as exc:
            raise NotFingerprintable(
                f"revision {licence.revision} cannot carry a fingerprint ({media_type}): {exc}"
            ) from exc

    return marked


def _check_may_detect(principal: Principal, owner: bool) -> None:
    allowed = {OrgRole.operator.value, OrgRole.arbitrator.value}
    if not owner and not allowed & principal.roles:
        raise RoleRequired(
            "fingerprint detection is for the asset's owner, operators and arbitrators"
        )


def _best(
    session: Session, content: bytes, asset_id: int, ids: list[int], key: bytes
) -> marking.Detection:
    """The best detection over the licences' revisions, each read with its own key columns;
    the p-value is corrected for every candidate, not only the group's."""
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    revisions: dict[int, frozenset[str]] = {}
    for licence_id in ids:
        licence = delivery.licence_by_id(session, licence_id)
        assert licence is not None
        if licence.revision not in revisions:
            revisions[licence.revision] = protected_columns(session, asset_id, licence.revision)
        groups[revisions[licence.revision]].append(licence_id)
    found: list[marking.Detection] = []
    try:
        for protected, group in (groups or {frozenset(): []}).items():
            found.append(
                marking.detect(content, group, key, protected=protected, comparisons=len(ids))
            )
    except marking.NotMarkable as exc:
        raise UnreadableCopy(f"the file is not a CSV table the detector reads: {exc}") from exc
    best = min(found, key=lambda d: (d.p_value, -d.positions_matched))
    return replace(best, candidates=len(ids))


def _conclusion(found: marking.Detection) -> str:
    if found.licence_id is None:
        return (
            f"no licence: the best of {found.candidates} candidates agrees on "
            f"{found.positions_matched} of {found.positions_read} positions (p = "
            f"{found.p_value:.3g}), not below {marking.P_VALUE_MAX:g}"
        )
    return (
        f"licence {found.licence_id}: {found.positions_matched} of {found.positions_read} "
        f"codeword positions agree; a copy not made for it would agree as well with "
        f"probability {found.p_value:.3g}"
    )


def detect_copy(
    session: Session, settings: Settings, principal: Principal, asset_id: int, content: bytes
) -> FingerprintDetection:
    """The licence a copy of the asset came from, journaled with the copy's SHA-256."""
    asset = assets.visible_asset(session, principal, asset_id)
    owner = principal.organization.id == asset.owner_organization_id
    _check_may_detect(principal, owner)
    ids = delivery.licence_ids_for_asset(session, asset_id)[: limits.fingerprint_candidates_max]
    key = _key(settings.secret_key.get_secret_value().encode(), asset_id)
    found = _best(session, content, asset_id, ids, key)
    sha256 = hashlib.sha256(content).hexdigest()
    buyer: int | None = None
    if found.licence_id is not None:
        licence = delivery.licence_by_id(session, found.licence_id)
        assert licence is not None
        buyer = licence.buyer_organization_id
    record = {
        "asset_id": asset_id,
        "sha256": sha256,
        "size_bytes": len(content),
        "licence_id": found.licence_id,
        "p_value": f"{found.p_value:.6g}",  # text: journal payloads hold no floats
        "positions_read": found.positions_read,
        "positions_matched": found.positions_matched,
        "candidates": found.candidates,
    }
    entry = journal.append(
        session,
        kind=DETECTED_KIND,
        subject=f"asset:{asset_id}",
        actor=principal.address,
        payload=record,
    )
    shows_buyer = owner or OrgRole.operator.value in principal.roles
    return FingerprintDetection(
        asset_id=asset_id,
        licence_id=found.licence_id,
        buyer_organization_id=buyer if shows_buyer else None,
        score=round(found.score, 6),
        p_value=found.p_value,
        p_value_max=marking.P_VALUE_MAX,
        z_score=round(found.z_score, 3),
        positions_read=found.positions_read,
        positions_matched=found.positions_matched,
        cells_read=found.cells_read,
        rows_read=found.rows_read,
        candidates=found.candidates,
        sha256=sha256,
        size_bytes=len(content),
        journal_seq=entry.seq,
        conclusion=_conclusion(found),
    )
