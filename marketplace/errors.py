"""The one error root. Every domain error carries its HTTP status and a stable code."""

from __future__ import annotations

from typing import ClassVar


class DatabourseError(Exception):
    """Root of every error the service reports to a client.

    ``code`` is a stable machine-readable token; the message tells the caller what to do.
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        """Response headers: ``Retry-After`` when the caller should come back later."""
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(max(1, self.retry_after_s))}


class BadRequest(DatabourseError):
    status = 400
    code = "bad_request"


class Unauthorized(DatabourseError):
    status = 401
    code = "unauthorized"


class Forbidden(DatabourseError):
    status = 403
    code = "forbidden"


class NotFound(DatabourseError):
    status = 404
    code = "not_found"


class Conflict(DatabourseError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DatabourseError):
    status = 413
    code = "payload_too_large"


class Unprocessable(DatabourseError):
    status = 422
    code = "invalid_request"


class TooManyRequests(DatabourseError):
    status = 429
    code = "too_many_requests"


class ServiceUnavailable(DatabourseError):
    status = 503
    code = "unavailable"


class UnsupportedMediaType(DatabourseError):
    status = 415
    code = "unsupported_media_type"
