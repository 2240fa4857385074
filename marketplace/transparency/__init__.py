"""The public transparency log: the marketplace's read-only HTTP face of the ``ledger`` library
(journal entries, anchor batches, entry receipts and the ``/.well-known/databourse.json`` trust
anchor) that auditors read. HTTP routes in ``endpoints``, rules in ``service``, SQL in
``repository``, errors in ``errors``."""

from marketplace.transparency.errors import ChainNotReadable, EntryNotAnchored, UnknownEntry

__all__ = ["ChainNotReadable", "EntryNotAnchored", "UnknownEntry"]
