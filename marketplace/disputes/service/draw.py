"""The seeded, recorded draw of arbitrators (docs/disputes.md, "The draw").

The pool is every account of a verified organisation holding the ``arbitrator`` role
(``identity.arbitrators``), less members of either party's organisation, less accounts of an
organisation that traded with either party (an order either way) in the last
``arbitrator_conflict_days``, less the arbitrators already drawn for the dispute. It is sorted by
account id.

The seed is ``sha256(prev_hash || dispute_id || round)``: ``prev_hash`` the 32 bytes of the
journal's head hash, which is the ``prev_hash`` of the ``arbitrator.drawn`` entry itself,
``dispute_id`` and ``round`` 8-byte big-endian. ``draw(seed, pool, k)`` (``ALGORITHM``) picks
``k`` accounts: for ``i`` in ``0..k-1``, ``index = int(sha256(seed || i as 8-byte big-endian)) mod
len(remaining)``, and the account at ``index`` is taken out of ``remaining``. The entry records the
seed, the pool in order, the round and who was drawn, so anyone recomputes it from the entry
alone."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlmodel import Session

from ledger import journal
from marketplace import limits
from marketplace.disputes import repository
from marketplace.disputes.errors import NoArbitrator
from marketplace.disputes.models import Assignment, Dispute
from marketplace.identity import service as identity
from marketplace.orders import service as orders
from marketplace.settings import Settings

ALGORITHM: Final = "sha256-index-mod-remaining-v1"
DRAWN_KIND: Final = "arbitrator.drawn"
#: Why an assignment was replaced (``cause`` of the draw that replaced it).
REPLACED_CAUSE: Final = "organization_suspended"


def seed(prev_hash: str, dispute_id: int, round_: int) -> bytes:
    """The draw's seed (module docstring)."""
    head = bytes.fromhex(prev_hash.removeprefix("0x"))
    return hashlib.sha256(head + dispute_id.to_bytes(8, "big") + round_.to_bytes(8, "big")).digest()


def draw(seed_: bytes, pool: Sequence[int], k: int) -> list[int]:
    """``k`` of ``pool`` (in the order given), picked by ``seed_`` (module docstring). Pure: a
    verifier reruns it on the entry's seed and pool."""
    remaining = list(pool)
    chosen: list[int] = []
    for i in range(min(k, len(remaining))):
        digest = hashlib.sha256(seed_ + i.to_bytes(8, "big")).digest()
        chosen.append(remaining.pop(int.from_bytes(digest, "big") % len(remaining)))
    return chosen


def eligible(
    session: Session, settings: Settings, dispute: Dispute, *, now: datetime
) -> list[tuple[int, int, str]]:
    """The pool, sorted by account id: (account id, organisation id, address)."""
    assert dispute.id is not None
    parties = [dispute.buyer_organization_id, dispute.supplier_organization_id]
    drawn = {a.account_id for a in repository.assignments(session, dispute.id)}
    candidates = [
        (a.id, a.organization_id, a.address)
        for a in identity.arbitrators(session)
        if a.id is not None and a.organization_id not in parties and a.id not in drawn
    ]
    since = now - timedelta(days=settings.arbitrator_conflict_days)
    conflicted = orders.traded_with(
        session, sorted({org for _, org, _ in candidates}), parties, since=since
    )
    return sorted((c for c in candidates if c[1] not in conflicted), key=lambda c: c[0])


def assign(
    session: Session,
    settings: Settings,
    dispute: Dispute,
    *,
    round_: int,
    actor: str,
    now: datetime,
) -> list[Assignment]:
    """Draw ``1`` arbitrator (round 1) or the panel of ``limits.panel_size`` (round 2), write the
    assignments and ``arbitrator.drawn``. 409 ``no_arbitrator`` (the caller's transaction rolls
    back, nothing written) when the pool is smaller than that."""
    k = 1 if round_ == 1 else limits.panel_size
    return _drawn(session, settings, dispute, round_=round_, k=k, actor=actor, now=now)


def replace(
    session: Session,
    settings: Settings,
    dispute: Dispute,
    replaced: Assignment,
    *,
    actor: str,
    now: datetime,
) -> Assignment:
    """Draw one arbitrator in the place of ``replaced`` (its organisation is suspended), for the
    same round, from the pool as it is now (which leaves out every arbitrator drawn for the
    dispute before, the replaced one too): ``arbitrator.drawn`` again, naming whom it
    ``replaces`` and why. 409 ``no_arbitrator`` when the pool is empty (nothing written)."""
    assert replaced.id is not None
    (row,) = _drawn(
        session, settings, dispute, round_=replaced.round, k=1, actor=actor, now=now,
        replaces={"replaces": replaced.account_id, "cause": REPLACED_CAUSE},
    )  # fmt: skip
    replaced.replaced_seq = row.drawn_seq
    repository.add(session, replaced)
    return row


def _drawn(
    session: Session,
    settings: Settings,
    dispute: Dispute,
    *,
    round_: int,
    k: int,
    actor: str,
    now: datetime,
    replaces: dict[str, int | str] | None = None,
) -> list[Assignment]:
    """The draw of ``k`` for ``round_`` (module docstring): its entry and its assignments."""
    assert dispute.id is not None
    pool = eligible(session, settings, dispute, now=now)
    if len(pool) < k:
        raise NoArbitrator(
            f"the pool holds {len(pool)} verified arbitrator(s) free of conflicts with both "
            f"parties; this needs {k}"
        )
    # Locked until commit, the head's hash is the new entry's prev_hash.
    _, prev_hash = journal.lock_head(session)
    seed_ = seed(prev_hash, dispute.id, round_)
    ids = [c[0] for c in pool]
    chosen = draw(seed_, ids, k)
    by_id = {c[0]: c for c in pool}
    entry = journal.append(
        session,
        kind=DRAWN_KIND,
        subject=f"dispute:{dispute.id}",
        actor=actor,
        payload={
            "dispute_id": dispute.id,
            "round": round_,
            "algorithm": ALGORITHM,
            "seed": seed_.hex(),
            "pool": ids,
            "pool_addresses": [c[2] for c in pool],
            "k": k,
            "chosen": chosen,
            **(replaces or {}),
        },
    )
    assert entry.prev_hash == prev_hash, "the draw's seed must name the entry's own prev hash"
    rows = []
    for account_id in chosen:
        row = Assignment(
            dispute_id=dispute.id,
            account_id=account_id,
            organization_id=by_id[account_id][1],
            round=round_,
            drawn_seq=entry.seq,
            created_at=now,
        )
        repository.add(session, row)
        rows.append(row)
    return rows
