"""Slither finds no high or medium issue in contracts/, compiling with solc-js through the
``solc`` shim in contracts/tools (never a downloaded compiler, never the network)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
TOOLS = REPO_ROOT / "contracts" / "tools"
CONFIG = REPO_ROOT / "contracts" / "slither.config.json"
CONTRACTS = sorted(p.name for p in (REPO_ROOT / "contracts").glob("*.sol"))
# Beside the interpreter running the tests (make test does not put the venv on PATH).
SLITHER = Path(sys.executable).parent / "slither"
SOLC_JS = REPO_ROOT / "node_modules" / "solc" / "package.json"
BLOCKING_IMPACTS = {"High", "Medium"}
SLITHER_S_MAX = 300

# tx.origin for authorisation: Slither's `tx-origin` detector, of medium impact.
VULNERABLE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
contract Vault {
    address private owner = msg.sender;
    function drain(address payable to) external {
        require(tx.origin == owner, "not owner");
        to.transfer(address(this).balance);
    }
}
"""

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not SOLC_JS.exists(),
    reason="Node.js or node_modules/solc is missing: run `npm ci`",
)


def _offline_env(home: Path) -> dict[str, str]:
    """The shim first on PATH, a fresh HOME (where solc-select would keep a downloaded
    compiler) and proxies to a closed port, so any download fails instead of going out."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = f"{TOOLS}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = "http://127.0.0.1:9"
    env.pop("SOLC_VERSION", None)
    return env


def _slither(target: str, *, cwd: Path, home: Path) -> dict[str, Any]:
    assert SLITHER.exists(), "slither is missing: install the dev extras (pip install -e '.[dev]')"
    done = subprocess.run(  # noqa: S603  # fixed arguments, our own files
        [str(SLITHER), target, "--config-file", str(CONFIG), "--json", "-"],
        cwd=cwd,
        env=_offline_env(home),
        capture_output=True,
        text=True,
        timeout=SLITHER_S_MAX,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["success"], f"slither failed: {report.get('error')}\n{done.stderr[-2000:]}"
    downloaded = [p for p in home.rglob("*") if p.is_file()]
    assert downloaded == [], f"a compiler was downloaded: {downloaded}"
    return report


def _blocking(report: dict[str, Any]) -> list[str]:
    findings = report["results"].get("detectors", [])
    return [
        f"{f['impact']} {f['check']}: {f['description'].strip()}"
        for f in findings
        if f["impact"] in BLOCKING_IMPACTS
    ]


def test_shim_answers_version_with_the_pinned_solc_js() -> None:
    pinned = json.loads(SOLC_JS.read_text())["version"]
    done = subprocess.run(  # noqa: S603  # our own script
        [str(TOOLS / "solc"), "--version"], capture_output=True, text=True, check=True
    )
    assert f"Version: {pinned}+commit." in done.stdout


def test_shim_refuses_an_option_it_does_not_translate() -> None:
    done = subprocess.run(  # noqa: S603  # our own script
        [str(TOOLS / "solc"), "--bin", "x.sol"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "unsupported option --bin" in done.stderr


@pytest.mark.parametrize("contract", CONTRACTS)
def test_slither_reports_no_high_or_medium_finding(contract: str, tmp_path: Path) -> None:
    report = _slither(f"contracts/{contract}", cwd=REPO_ROOT, home=tmp_path)
    assert _blocking(report) == [], f"slither on {contract}"


def test_slither_through_the_shim_does_flag_a_medium_finding(tmp_path: Path) -> None:
    (tmp_path / "Vault.sol").write_text(VULNERABLE)
    home = tmp_path / "home"
    home.mkdir()
    report = _slither("Vault.sol", cwd=tmp_path, home=home)
    assert any(line.startswith("Medium tx-origin") for line in _blocking(report))
