"""docs/architecture.md stays the map of the code: its Packages section names every package under
marketplace/ and ledger/, and its asset lifecycle table is exactly the table
``marketplace/assets/lifecycle.py`` declares (every state, event, target and journal kind)."""

from __future__ import annotations

import re
from pathlib import Path

from marketplace.assets import lifecycle, objection_lifecycle
from marketplace.assets.lifecycle import PRIOR, REMOVED, SAME, AssetEvent
from marketplace.assets.models import AssetStatus

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
LIFECYCLE_HEADER = "| event | from | to | journal kind |"
CODE = re.compile(r"`([^`]+)`")
#: How the table writes a target that is not a state.
TARGET_WORDS = {"unchanged": "unchanged", "prior": PRIOR, "removed": REMOVED}


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    ends = [
        m.start()
        for m in re.finditer(r"\n(#+) ", text[start + 1 :])
        if len(m.group(1)) <= len(level)
    ]
    return text[start : start + 1 + ends[0]] if ends else text[start:]


def _lifecycle_rows(section: str) -> list[list[str]]:
    lines = section.splitlines()
    start = lines.index(LIFECYCLE_HEADER)
    assert set(lines[start + 1]) <= set("|- "), "the header is followed by its separator row"
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _target(cell: str) -> str:
    if cell in TARGET_WORDS:
        return TARGET_WORDS[cell]
    match = CODE.fullmatch(cell)
    assert match is not None, f"a target is a state in backticks, or one of {list(TARGET_WORDS)}"
    return AssetStatus(match.group(1)).value


def _documented_transitions(section: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(state, event) → (target, journal kind), expanded from the documented rows; a target
    that is the state itself is "unchanged", as in ``_declared_transitions``."""
    table: dict[tuple[str, str], tuple[str, str]] = {}
    for event_cell, from_cell, to_cell, kind_cell in _lifecycle_rows(section):
        (event,) = CODE.findall(event_cell)
        (kind,) = CODE.findall(kind_cell)
        target = _target(to_cell)
        for state in CODE.findall(from_cell):
            key = (AssetStatus(state).value, AssetEvent(event).value)
            assert key not in table, f"{key} is documented twice"
            # A row may name the state an event stays in (transfer: approved → approved).
            table[key] = ("unchanged" if target == key[0] else target, kind)
    return table


def _declared_transitions() -> dict[tuple[str, str], tuple[str, str]]:
    table: dict[tuple[str, str], tuple[str, str]] = {}
    for (state, event), transition in lifecycle.TRANSITIONS.items():
        if transition.target in (SAME, state):
            target = "unchanged"
        elif transition.target in (PRIOR, REMOVED):
            target = str(transition.target)
        else:
            target = AssetStatus(transition.target).value
        table[(state.value, event.value)] = (target, transition.kind)
    return table


def test_the_asset_lifecycle_table_is_the_declared_one() -> None:
    section = _section(DOC.read_text(encoding="utf-8"), "### The asset lifecycle")

    assert _documented_transitions(section) == _declared_transitions()


def test_the_asset_lifecycle_names_every_state_in_order() -> None:
    section = _section(DOC.read_text(encoding="utf-8"), "### The asset lifecycle")
    states_line = section.split("States:", 1)[1].split(".", 1)[0]

    assert CODE.findall(states_line) == [s.value for s in AssetStatus]


def test_the_packages_section_names_every_package() -> None:
    section = _section(DOC.read_text(encoding="utf-8"), "## Packages")
    packages = sorted(
        init.parent.relative_to(ROOT).as_posix()
        for top in ("marketplace", "ledger")
        for init in (ROOT / top).rglob("__init__.py")
    )

    assert len(packages) > 10
    missing = [p for p in packages if f"`{p}/`" not in section]
    assert missing == [], "packages not named in docs/architecture.md's Packages section"


def test_the_objection_lifecycle_table_is_the_declared_one() -> None:
    section = _section(DOC.read_text(encoding="utf-8"), "### The objection lifecycle")
    documented = {}
    for event_cell, from_cell, to_cell, kind_cell in _lifecycle_rows(section):
        (event,) = CODE.findall(event_cell)
        (target,) = CODE.findall(to_cell)
        (kind,) = CODE.findall(kind_cell)
        for state in CODE.findall(from_cell):
            documented[(state, event)] = (target, kind)

    declared = {
        (state.value, event.value): (t.target.value, t.kind)
        for (state, event), t in objection_lifecycle.TRANSITIONS.items()
    }
    assert documented == declared
