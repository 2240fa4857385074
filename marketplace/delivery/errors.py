"""Delivery errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import Conflict, DatabourseError, Forbidden, NotFound, Unprocessable


class LicenceNotFound(NotFound):
    """No such licence, or one another organisation holds (worded alike)."""

    code = "licence_not_found"


class LicenceExpired(Forbidden):
    code = "licence_expired"


class DownloadLimitReached(Forbidden):
    code = "download_limit_reached"


class PurposeNotRecorded(Forbidden):
    """The licence's recorded purpose is not one its terms permit."""

    code = "purpose_not_permitted"


class LicenceExists(Conflict):
    code = "licence_exists"


class NotDeliverable(Conflict):
    """The licensed revision has no stored content to deliver (an external source)."""

    code = "not_deliverable"


class DeliveryKeyMissing(Conflict):
    """A key-wrapped delivery needs the buyer organisation's registered X25519 key."""

    code = "delivery_key_missing"


class DeliveryKeyNotFound(NotFound):
    code = "delivery_key_not_found"


class InvalidDeliveryKey(Unprocessable):
    code = "invalid_delivery_key"


class DownloadUrlInvalid(Forbidden):
    """The token was altered, or is not one this exchange issued."""

    code = "download_url_invalid"


class DownloadUrlExpired(DatabourseError):
    status = 410
    code = "download_url_expired"


class RangeNotSatisfiable(DatabourseError):
    """A ``Range`` header that names no bytes of the file (or more than one range)."""

    status = 416
    code = "range_not_satisfiable"

    def __init__(self, message: str, *, size_bytes: int) -> None:
        super().__init__(message)
        self.size_bytes = size_bytes

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Range": f"bytes */{self.size_bytes}"}


class DownloadNotFound(NotFound):
    code = "download_not_found"


class ReceiptMismatch(Unprocessable):
    code = "receipt_mismatch"


class ReceiptExists(Conflict):
    code = "receipt_exists"
