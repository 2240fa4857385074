"""The dispute routes (docs/api.md#disputes): one router gathering the case's (``case.py``),
the evidence's (``evidence.py``) and the dossier's (``dossier.py``)."""

from fastapi import APIRouter

from marketplace.disputes.endpoints import case, dossier, evidence

router = APIRouter()
router.include_router(case.router)
router.include_router(evidence.router)
router.include_router(dossier.router)

__all__ = ["router"]
