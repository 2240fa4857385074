"""Data assets: registration, revisions, encrypted content, compliance review, registration
certificates and search. HTTP routes in ``endpoints``, rules in ``service``, SQL in
``repository``; the asset lifecycle (states, events, transitions, journal kinds) is declared in
``lifecycle``, the objection's in ``objection_lifecycle``; content identity, schema inference,
format detection, URL safety, DCAT, certificates and the typed registration application
(``application``) are pure modules."""

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
