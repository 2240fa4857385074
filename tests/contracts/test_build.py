"""The committed contract artifacts are what the sources compile to today."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.chain.artifact import ledger_anchor_artifact

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BUILD = REPO_ROOT / "contracts" / "build" / "LedgerAnchor.json"
PACKAGED = REPO_ROOT / "ledger" / "abi" / "LedgerAnchor.json"
COMPILE_S_MAX = 120


def test_committed_artifacts_match_a_fresh_compile_byte_for_byte(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: cannot recompile the contract")
    if not (REPO_ROOT / "node_modules" / "solc").exists():
        pytest.skip("node_modules/solc is missing: run `npm ci` to recompile the contract")
    subprocess.run(  # noqa: S603  # our own script, fixed arguments
        [node, "contracts/compile.mjs", "--out-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=COMPILE_S_MAX,
    )
    fresh = (tmp_path / "LedgerAnchor.json").read_bytes()
    stale = "stale: run `make contracts` and commit the result"
    assert BUILD.read_bytes() == fresh, f"{BUILD.relative_to(REPO_ROOT)} is {stale}"
    assert PACKAGED.read_bytes() == fresh, f"{PACKAGED.relative_to(REPO_ROOT)} is {stale}"


def test_artifact_records_compiler_settings_and_source_hashes() -> None:
    data = json.loads(BUILD.read_text())
    assert data["compiler"]["version"].startswith("0.8.28+")
    assert data["compiler"]["settings"]["evmVersion"] == "cancun"
    assert data["compiler"]["settings"]["optimizer"]["enabled"] is True
    assert "contracts/LedgerAnchor.sol" in data["sources"]
    assert len(data["sourcesSha256"]) == 64
    assert BUILD.read_text().endswith("}\n")


def test_packaged_abi_exposes_the_anchor_interface() -> None:
    artifact = ledger_anchor_artifact()
    names = {(item["type"], item.get("name")) for item in artifact.abi}
    for function in ("anchor", "lastAnchoredSeq", "batchCount", "batch", "verify", "RECORDER_ROLE"):
        assert ("function", function) in names
    for error in ("AnchorNotContiguous", "InvalidRange", "ZeroRoot", "UnknownBatch"):
        assert ("error", error) in names
    assert ("event", "Anchored") in names
    assert artifact.bytecode.startswith(bytes.fromhex("6080"))
