"""API shapes for fingerprint detection."""

from __future__ import annotations

from pydantic import BaseModel


class FingerprintDetection(BaseModel):
    """What a leaked copy says about its licence. ``licence_id`` is None when no licence of the
    asset is significant (``p_value`` at or above ``p_value_max``). ``buyer_organization_id`` is
    shown to the asset's owner and operators only. ``journal_seq`` is the
    ``fingerprint.detected`` entry that records this answer with the file's SHA-256."""

    asset_id: int
    licence_id: int | None
    buyer_organization_id: int | None
    score: float  # share of the codeword positions read that agree with the licence named
    p_value: float  # chance that a copy not made for it agrees as well (Bonferroni-corrected)
    p_value_max: float
    z_score: float
    positions_read: int
    positions_matched: int
    cells_read: int
    rows_read: int
    candidates: int
    sha256: str
    size_bytes: int
    journal_seq: int
    conclusion: str  # the answer in one sentence
