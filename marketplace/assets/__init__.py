"""Data assets: registration, revisions, encrypted content, compliance review, registration
certificates and search. HTTP routes in ``endpoints``, rules in ``service``, SQL in
``repository``; content identity, schema inference, URL safety, DCAT and certificates are pure
modules."""

from marketplace.assets.models import (
    Asset,
    AssetObjection,
    AssetRegistration,
    AssetReview,
    AssetRevision,
    AssetStatus,
    Classification,
)
from marketplace.assets.service import ContentAccessRule, content_access_rules

__all__ = [
    "Asset",
    "AssetObjection",
    "AssetRegistration",
    "AssetReview",
    "AssetRevision",
    "AssetStatus",
    "Classification",
    "ContentAccessRule",
    "content_access_rules",
]
