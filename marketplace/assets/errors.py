"""Asset errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    UnsupportedMediaType,
)


class AssetNotFound(NotFound):
    code = "asset_not_found"


class RevisionNotFound(NotFound):
    code = "revision_not_found"


class NotAssetOwner(Forbidden):
    code = "not_asset_owner"


class AssetStateConflict(Conflict):
    code = "asset_state"


class NotListable(Conflict):
    code = "not_listable"


class InvalidContent(Unprocessable):
    code = "invalid_content"


class UnsafeSource(Unprocessable):
    code = "unsafe_source"


class UploadTooLarge(PayloadTooLarge):
    code = "upload_too_large"


class MultipartUpload(UnsupportedMediaType):
    code = "multipart_upload"


class UploadIncomplete(BadRequest):
    code = "upload_incomplete"


class InvalidTransfer(Unprocessable):
    code = "invalid_transfer"


class NoCertificate(NotFound):
    code = "no_certificate"


class ChainNotReady(ServiceUnavailable):
    code = "chain_not_ready"


class ObjectionNotFound(NotFound):
    code = "objection_not_found"


class ObjectionStateConflict(Conflict):
    code = "objection_state"


class ObjectionNotAllowed(Forbidden):
    code = "objection_not_allowed"


class ObjectionsThrottled(TooManyRequests):
    code = "objections_throttled"
