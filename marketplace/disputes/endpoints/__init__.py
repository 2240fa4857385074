"""The dispute routes (docs/api.md#disputes): one router gathering the case's (``case.py``),
the evidence's (``evidence.py``), the dossier's (``dossier.py``) and escalating an ownership
objection (``objections.py``)."""

from fastapi import APIRouter

from marketplace.disputes.endpoints import case, dossier, evidence, objections

router = APIRouter()
router.include_router(case.router)
router.include_router(evidence.router)
router.include_router(dossier.router)
router.include_router(objections.router)

__all__ = ["router"]
