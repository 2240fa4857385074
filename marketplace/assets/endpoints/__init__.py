"""HTTP routes for data assets, one module per concern; ``router`` serves them all, in this
order: registration, upload, revisions, review, objections, ownership (transfer, cancel)."""

from fastapi import APIRouter

from marketplace.assets.endpoints import (
    objections,
    ownership,
    registration,
    review,
    revisions,
    upload,
)
from marketplace.assets.endpoints.params import AssetId, RevisionNo
from marketplace.assets.endpoints.upload import UPLOAD_PREFIX

router = APIRouter(tags=["assets"])
for _routes in (registration, upload, revisions, review, objections, ownership):
    router.include_router(_routes.router)

__all__ = ["UPLOAD_PREFIX", "AssetId", "RevisionNo", "router"]
