"""``bourse --help`` groups every command by who uses it."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from marketplace.cli import USERS, app
from marketplace.cli.common import (
    AUDITORS,
    EVERYONE,
    OPERATORS,
    PANEL_ORDER,
    RUNNING,
    SUPPLIERS,
)


def _panels(output: str) -> dict[str, list[str]]:
    panels: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        title = re.match(r"╭─ (.+?) ─", line)
        if title:
            current = title.group(1)
            panels[current] = []
            continue
        command = re.match(r"│ ([a-z][a-z-]*)\s{2,}", line)
        if command and current != "Options":
            panels[current].append(command.group(1))
    return panels


def test_bourse_help_groups_commands_by_who_uses_them() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    panels = _panels(result.output)
    assert "Commands" not in panels  # every command is placed in USERS
    shown = [panel for panel in panels if panel != "Options"]
    assert shown == [panel for panel in PANEL_ORDER if panel in shown]  # in the usual order
    assert {EVERYONE, SUPPLIERS, OPERATORS, AUDITORS, RUNNING} <= set(shown)
    assert {"signup", "login", "asset"} <= set(panels[EVERYONE])
    assert {"quality", "valuation"} <= set(panels[SUPPLIERS])
    assert {"review", "org"} <= set(panels[OPERATORS])
    assert {"verify", "ledger"} <= set(panels[AUDITORS])
    assert {"serve", "operator"} <= set(panels[RUNNING])
    listed = {name for names in panels.values() for name in names}
    assert listed == set(USERS)


def test_bourse_asset_help_separates_public_reads_from_supplier_commands() -> None:
    result = CliRunner().invoke(app, ["asset", "--help"], env={"COLUMNS": "120"})
    panels = _panels(result.output)
    assert set(panels[EVERYONE]) == {"search", "show", "certificate"}
    assert {"register", "upload", "delete", "schema", "list", "delist"} <= set(panels[SUPPLIERS])


def test_the_cli_guide_names_every_command_in_its_panel() -> None:
    """docs/cli.md's panel table is what a new user reads first: no command missing."""
    guide = (Path(__file__).parents[3] / "docs" / "cli.md").read_text(encoding="utf-8")
    documented: dict[str, set[str]] = {}
    for row in re.findall(r"^\| (.+?) \| (.+?) \|$", guide, flags=re.MULTILINE):
        panel, commands = row
        named = re.findall(r"`([a-z][a-z-]*)[^`]*`", re.sub(r"\([^)]*\)", "", commands))
        documented[panel] = set(named)
    for panel in PANEL_ORDER:
        expected = {name for name, placed in USERS.items() if placed == panel}
        if expected:
            assert expected <= documented.get(panel, set()), (panel, expected)


def test_bourse_accept_help_says_periodic_orders_do_not_settle_at_once() -> None:
    result = CliRunner().invoke(app, ["accept", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    said = " ".join(result.output.replace("│", " ").split())
    assert "An order paid at once settles at once" in said
    assert "A subscription or metered order releases nothing when accepted" in said
