"""Asset rules: registration, revisions, compliance review, certificates, listing, search.

Services never commit; every step that changes an asset appends its journal entry in the same
transaction. Who may see what is decided in ``visibility`` and applied in ``access``, for this
and every other domain: ``visible_asset``, ``visible_revision``, ``list_revisions``. Operators
review and suspend (objections: ``service/objections.py``).

Modules: ``access`` (seeing and owning), ``journaling`` (journal entries and registration
rows), ``public`` (the API's view of an asset), ``signing`` (what certificates are signed
under), ``registration``, ``revisions``, ``review`` (submission and compliance review),
``listing``, ``registry`` (transfer, cancellation, certificates), ``objections`` (objections and
suspension), ``arbitration`` (an objection escalated to a dispute, and its executed ruling),
``search``, ``drafts``.
"""

from marketplace.assets.service.access import (
    ContentAccessRule,
    content_access_rules,
    owned_asset,
    visible_asset,
    visible_revision,
)
from marketplace.assets.service.arbitration import ObjectionFacts
from marketplace.assets.service.catalog import (
    assets_by_ids,
    public_asset_ids_with_theme,
    revision_size_bytes,
    share_lock,
    stored_revision,
)
from marketplace.assets.service.drafts import deletable_draft, delete_draft
from marketplace.assets.service.listing import ListedHook, delist_asset, list_asset, listed_hooks
from marketplace.assets.service.public import asset_public, asset_public_for, listing_restrictions
from marketplace.assets.service.registration import create_asset, update_metadata
from marketplace.assets.service.registry import (
    cancel,
    certificate_document,
    certificate_seqs,
    registrations_of,
    transfer,
)
from marketplace.assets.service.review import application_for, review, reviews_of, submit
from marketplace.assets.service.revisions import (
    add_external_revision,
    check_may_add_revision,
    correct_schema,
    get_revision,
    list_revisions,
    open_content,
    record_upload,
    revision_blob_keys,
)
from marketplace.assets.service.search import search
from marketplace.assets.service.signing import SigningContext, signing_context

__all__ = [
    "ContentAccessRule",
    "ListedHook",
    "ObjectionFacts",
    "SigningContext",
    "add_external_revision",
    "application_for",
    "asset_public",
    "asset_public_for",
    "assets_by_ids",
    "cancel",
    "certificate_document",
    "certificate_seqs",
    "check_may_add_revision",
    "content_access_rules",
    "correct_schema",
    "create_asset",
    "deletable_draft",
    "delete_draft",
    "delist_asset",
    "get_revision",
    "list_asset",
    "list_revisions",
    "listed_hooks",
    "listing_restrictions",
    "open_content",
    "owned_asset",
    "public_asset_ids_with_theme",
    "record_upload",
    "registrations_of",
    "review",
    "reviews_of",
    "revision_blob_keys",
    "revision_size_bytes",
    "search",
    "share_lock",
    "signing_context",
    "stored_revision",
    "submit",
    "transfer",
    "update_metadata",
    "visible_asset",
    "visible_revision",
]
