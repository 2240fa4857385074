"""Dispute HTTP endpoints: one router, gathering the case's (``case.py``) and the others'."""

from fastapi import APIRouter

from marketplace.disputes.endpoints import case

router = APIRouter()
router.include_router(case.router)

__all__ = ["router"]
