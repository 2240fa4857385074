"""Per-buyer fingerprints for tabular downloads: each licensed copy carries an invisible mark
that names its licence when a copy leaks (docs/fingerprints.md)."""

from marketplace.fingerprint.marking import (
    Detection,
    Marker,
    NotMarkable,
    asset_key,
    detect,
    mark,
)

__all__ = ["Detection", "Marker", "NotMarkable", "asset_key", "detect", "mark"]
