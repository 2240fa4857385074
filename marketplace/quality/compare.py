"""Re-check on delivery: compare what a buyer received with the anchored report.

The comparison says whether the content hash matches, which dimensions moved (and by how much),
which measurements changed, and which columns' profiles changed. Its canonical hash is what the
exchange signs and what a dispute cites.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledger.canonical import canonical_json, keccak256, to_hex
from marketplace.quality.report import Dimension, QualityReport, _canonical

SCORE_EPSILON = 0.005  # scores carry two decimals; smaller differences are not movement


class DimensionDelta(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Dimension
    anchored: float | None
    received: float | None
    delta: float | None
    moved: bool
    changed_measurements: dict[str, list[Any]] = Field(default_factory=dict)  # key: [was, is]


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    anchored_report_hash: str
    received_report_hash: str
    anchored_content_sha256: str
    received_content_sha256: str
    content_hash_matches: bool
    rows: list[int | None]  # [anchored, received]
    dimensions: list[DimensionDelta]
    moved: list[Dimension]
    columns_changed: list[str]
    overall: list[float | None]  # [anchored, received]

    def comparison_hash(self) -> str:
        return to_hex(keccak256(canonical_json(_canonical(self.model_dump(mode="json")))))

    def differences_hash(self) -> str:
        """keccak256 of the RFC 8785 bytes of the per-dimension differences, 0x-hex: what a
        buyer's signed quality check of an order commits to (docs/quality.md#re-check)."""
        dims = [d.model_dump(mode="json") for d in self.dimensions]
        return to_hex(keccak256(canonical_json(_canonical(dims))))

    def verdict(self) -> str:
        """``matches`` when the content hash matches and no dimension moved, else ``differs``."""
        return "matches" if self.content_hash_matches and not self.moved else "differs"


def compare(anchored: QualityReport, received: QualityReport) -> Comparison:
    deltas: list[DimensionDelta] = []
    for a in anchored.dimensions:
        r = received.dimension(a.name)
        delta = round(r.score - a.score, 2) if a.score is not None and r.score is not None else None
        moved = (a.judged != r.judged) or (delta is not None and abs(delta) >= SCORE_EPSILON)
        keys = sorted(set(a.measurements) | set(r.measurements))
        changed = {
            k: [a.measurements.get(k), r.measurements.get(k)]
            for k in keys
            if a.measurements.get(k) != r.measurements.get(k)
        }
        deltas.append(
            DimensionDelta(
                name=a.name,
                anchored=a.score,
                received=r.score,
                delta=delta,
                moved=moved,
                changed_measurements=changed,
            )
        )
    a_profile = {p.name: p.model_copy(update={"samples": None}) for p in anchored.profile}
    r_profile = {p.name: p.model_copy(update={"samples": None}) for p in received.profile}
    columns_changed = sorted(
        n for n in set(a_profile) | set(r_profile) if a_profile.get(n) != r_profile.get(n)
    )
    return Comparison(
        anchored_report_hash=anchored.report_hash(),
        received_report_hash=received.report_hash(),
        anchored_content_sha256=anchored.content_sha256,
        received_content_sha256=received.content_sha256,
        content_hash_matches=anchored.content_sha256 == received.content_sha256,
        rows=[anchored.rows, received.rows],
        dimensions=deltas,
        moved=[d.name for d in deltas if d.moved],
        columns_changed=columns_changed,
        overall=[anchored.overall, received.overall],
    )
