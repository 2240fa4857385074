"""Keeping the catalog search index current: every listing change is handed to the search
library here, in the same transaction.

Until the search library (``marketplace/search``) is merged, nothing is indexed: these are the
only calls to make, and the one place to make them.
"""

from __future__ import annotations

from sqlmodel import Session

from marketplace.listings.schemas import ListingPublic


def listing_changed(session: Session, listing: ListingPublic) -> None:
    """The listing was created, paused, resumed, withdrawn or closed."""
    del session, listing
