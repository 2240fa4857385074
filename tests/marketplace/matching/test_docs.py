"""docs/matching.md and docs/architecture.md say what the code does: the synonym table lists
exactly ``fields.SYNONYMS``, the weights are ``scoring.WEIGHTS``, and both demand lifecycle
tables are the one ``demand_lifecycle`` declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace.matching import demand_lifecycle, fields, scoring

ROOT = Path(__file__).resolve().parents[3]
CODE = re.compile(r"`([^`]+)`")


def _table(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_the_synonym_table_is_the_one_the_code_uses() -> None:
    text = (ROOT / "docs" / "matching.md").read_text()
    rows = _table(text, "| group | names |")
    documented = [tuple(n.strip() for n in names.split(",")) for _, names in rows]
    assert documented == list(fields.SYNONYMS)


def test_the_documented_weights_are_the_code_s() -> None:
    text = (ROOT / "docs" / "matching.md").read_text()
    rows = _table(text, "| component | weight | value |")
    assert {CODE.findall(c)[0]: float(w) for c, w, _ in rows} == scoring.WEIGHTS


@pytest.mark.parametrize("doc", ["matching.md", "architecture.md"])
def test_the_documented_lifecycle_is_the_declared_one(doc: str) -> None:
    text = (ROOT / "docs" / doc).read_text()
    heading = re.search(r"^#+ The demand lifecycle$", text, flags=re.M)
    assert heading is not None
    section = text[heading.start() :]
    rows = _table(section, "| event | from | to | journal kind |")
    documented = {
        (CODE.findall(f)[0], CODE.findall(e)[0]): (CODE.findall(t)[0], CODE.findall(k)[0])
        for e, f, t, k in rows
    }
    declared = {
        (s.value, e.value): (t.target.value, t.kind)
        for (s, e), t in demand_lifecycle.TRANSITIONS.items()
    }
    assert documented == declared
