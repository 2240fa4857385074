"""Transparency log errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, NotFound, ServiceUnavailable


class UnknownEntry(NotFound):
    code = "entry_not_found"


class EntryNotAnchored(Conflict):
    code = "not_anchored"


class ChainNotReadable(ServiceUnavailable):
    code = "chain_unavailable"
