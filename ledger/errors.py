"""Errors the ledger raises. Callers (the marketplace) translate them into their own."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (at most 300 characters), for a one-line report."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


class LedgerError(Exception):
    """Root of the ledger's non-chain errors."""


class InvalidEntry(LedgerError, ValueError):
    """A journal entry breaks a rule (kind, subject, actor, payload, signature)."""


class AnchorConflict(LedgerError):
    """The contract's anchored history disagrees with this database's batches."""


class LeaseLost(LedgerError):
    """This anchoring worker no longer holds the lease (it outlived it, and another worker took
    it over): its write was refused and nothing changed. The worker ends its step."""


class NotAnchored(LedgerError):
    """The entry exists but its batch is not confirmed on chain yet."""


class EntryNotFound(LedgerError, LookupError):
    """No journal entry has that seq."""


class AnchorReverted(LedgerError):
    """A batch's anchor transaction reverted, or would revert: ``reason`` is the contract's
    decoded custom error (e.g. the recorder lacks RECORDER_ROLE). The worker backs off and
    sends nothing until a simulation of the anchor succeeds."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
