"""HTTP routes for data assets, one module per concern; ``router`` serves them all, in this
order: registration, upload, revisions, review, objections, registrations."""

from fastapi import APIRouter

from marketplace.assets.endpoints import (
    objections,
    registration,
    registrations,
    review,
    revisions,
    upload,
)
from marketplace.assets.endpoints.params import AssetId, RevisionNo
from marketplace.assets.endpoints.upload import UPLOAD_PREFIX

router = APIRouter(tags=["assets"])
for _routes in (registration, upload, revisions, review, objections, registrations):
    router.include_router(_routes.router)

__all__ = ["UPLOAD_PREFIX", "AssetId", "RevisionNo", "router"]
