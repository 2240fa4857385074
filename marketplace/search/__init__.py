"""Catalog search over listings: a library with no HTTP routes of its own.

Full text over title, description, keywords and column names, Chinese cut into words by jieba
(``segmenter``) on both sides; filters, orders and cursor pages; SQLite FTS5 on the embedded
database and PostgreSQL full-text search on servers behind one repository interface. The
listings domain feeds it (``service.index``, ``set_asset_state``, ``remove``) and serves
``GET /listings`` from ``service.search``; matching asks ``service.candidates``.
"""

from marketplace.search.errors import InvalidCursor
from marketplace.search.schemas import (
    Candidate,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchSort,
)

__all__ = [
    "Candidate",
    "InvalidCursor",
    "SearchDocument",
    "SearchPage",
    "SearchQuery",
    "SearchSort",
]
