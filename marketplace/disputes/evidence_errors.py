"""Evidence errors, each with its HTTP status and a stable code (``EvidenceClosed`` is in
``errors.py``: the lifecycle names it)."""

from __future__ import annotations

from marketplace.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"


class EvidenceTooLarge(PayloadTooLarge):
    """Over ``evidence_file_bytes_max`` (the message names it); nothing is stored."""

    code = "evidence_too_large"


class EvidenceArchiveTooLarge(PayloadTooLarge):
    """A compressed file that expands past the archive bounds (``archive_expanded_bytes_max``,
    ``archive_members_max``, ``archive_nesting_depth_max``): a zip bomb; nothing is stored."""

    code = "evidence_archive_too_large"


class EvidenceLimitReached(Conflict):
    """The side has submitted ``evidence_items_per_side_max`` items to the dispute already."""

    code = "evidence_limit"


class EvidenceExists(Conflict):
    """The same side submitted the same bytes as the same kind already."""

    code = "evidence_exists"


class InvalidEvidence(Unprocessable):
    code = "invalid_evidence"


class LengthRequired(BadRequest):
    """An evidence file must declare its ``Content-Length`` (so the limit is checked before a
    byte is read)."""

    status = 411
    code = "length_required"


class MultipartUpload(UnsupportedMediaType):
    """A multipart form sent where the file is the raw request body (as the assets' upload)."""

    code = "multipart_upload"
