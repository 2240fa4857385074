"""Fingerprint errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, Unprocessable


class NotFingerprintable(Conflict):
    """A fingerprinted listing's revision that cannot carry the mark (too large, not CSV, too
    few decimals): the download is refused rather than served unmarked."""

    code = "not_fingerprintable"


class UnreadableCopy(Unprocessable):
    """A file sent for detection that is not a CSV table the detector can read."""

    code = "unreadable_copy"
