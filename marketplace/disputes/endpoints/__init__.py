"""The dispute routes (docs/api.md#disputes): one router gathering the case's (``case.py``) and
the evidence's (``evidence.py``)."""

from fastapi import APIRouter

from marketplace.disputes.endpoints import case, evidence

router = APIRouter()
router.include_router(case.router)
router.include_router(evidence.router)

__all__ = ["router"]
