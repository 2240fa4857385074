"""Every setting is in docs/operations.md, as README says: by its variable, the abuse limits by
their rule's name in that section's table, the quality weights by the one row of their pattern."""

from __future__ import annotations

from pathlib import Path

from marketplace.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
WEIGHTS_ROW = "DATABOURSE_QUALITY_WEIGHT_<DIMENSION>"


def _documented(variable: str, text: str) -> bool:
    bare = variable.removeprefix("DATABOURSE_")
    if bare.startswith("QUALITY_WEIGHT_"):
        dimension = bare.removeprefix("QUALITY_WEIGHT_").lower()
        return WEIGHTS_ROW in text and dimension in text
    return variable in text or f"`{bare}`" in text


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    variables = [f"DATABOURSE_{field.upper()}" for field in Settings.model_fields]
    assert len(variables) > 50
    missing = [v for v in variables if not _documented(v, text)]
    assert missing == [], f"docs/operations.md does not name {missing}"
