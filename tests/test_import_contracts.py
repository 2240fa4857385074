"""The import contracts in pyproject.toml ([tool.importlinter]) hold for the tree, and each one
fails when a forbidden import is added: `make lint` can catch a boundary being crossed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts over the packages under ``tree`` (it puts its
    working directory first on the import path, so the packages found are those of ``tree``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(  # noqa: S603  # the venv's own lint-imports, fixed arguments
        [str(LINT_IMPORTS), str(CONFIG), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_tree(destination: Path) -> Path:
    for package in ("marketplace", "ledger"):
        shutil.copytree(
            ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return destination


def test_the_tree_keeps_every_import_contract() -> None:
    result = _lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        ("ledger/journal.py", "import marketplace.settings", "ledger never imports marketplace"),
        (
            "marketplace/valuation/endpoints.py",
            "from marketplace.valuation import repository",
            "endpoints, pages and CLI commands never import a repository",
        ),
        (
            "marketplace/valuation/service.py",
            "from marketplace.quality import repository as quality_repository",
            "domains use one another through services, never repositories or tables",
        ),
        (
            "marketplace/quality/service/reports.py",
            "from marketplace.pages import quality as quality_page",
            "services and repositories never import pages",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, forbidden_import: str, contract: str
) -> None:
    tree = _copy_tree(tmp_path)
    source = tree / module
    source.write_text(source.read_text() + f"\n{forbidden_import}\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout + result.stderr
    assert "Contracts: 3 kept, 1 broken." in result.stdout
    assert f"{module.removesuffix('.py').replace('/', '.')} -> " in result.stdout
