"""What other domains plug into delivery.

``served_hooks``: called once per licence, in the transaction of its first ``delivery.served``
entry, with the order's id (the orders domain moves the order to delivered:
``orders.service.record_delivery``). Delivery cannot import orders' write path itself.

``order_locks``: called before a licence's first download locks the licence and the journal
head, with the order's id (``orders.service.lock_for_delivery``): the order is locked first, as
accepting or disputing it locks it before the journal head, so they never wait in a cycle.

``served_transforms``: the seam for per-buyer fingerprints. Each is asked, for a licence and the
revision's media type, for a transform of the plaintext stream (None: no opinion); the first
transform given is used, otherwise the plaintext is served as stored. A transform must be
deterministic for one licence (the same input gives the same output): it runs once per licence,
when the licence's first URL is issued, and its output is kept encrypted as the licence's marked
copy (``marked``), which every URL of the licence serves, ranges included. It applies to plain
downloads only: key-wrapped delivery serves the stored ciphertext.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from sqlmodel import Session

from marketplace.delivery.schemas import LicenceView


class ServedHook(Protocol):
    def __call__(self, session: Session, *, order_id: int) -> None: ...


PlaintextTransform = Callable[[Iterator[bytes]], Iterator[bytes]]
ServedTransform = Callable[[Session, LicenceView, str], PlaintextTransform | None]

served_hooks: list[ServedHook] = []
order_locks: list[ServedHook] = []
served_transforms: list[ServedTransform] = []


def transform_for(session: Session, licence: LicenceView, media_type: str) -> PlaintextTransform:
    """The transform the plaintext of ``licence`` is served through (identity by default)."""
    for candidate in served_transforms:
        found = candidate(session, licence, media_type)
        if found is not None:
            return found
    return identity


def identity(chunks: Iterator[bytes]) -> Iterator[bytes]:
    return chunks


def lock_order(session: Session, order_id: int) -> None:
    for lock in order_locks:
        lock(session, order_id=order_id)


def first_served(session: Session, order_id: int) -> None:
    for hook in served_hooks:
        hook(session, order_id=order_id)
