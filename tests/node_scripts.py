"""Running this repository's own Node.js scripts in tests (outside implementations that check
ours: OpenZeppelin's Merkle tree, the noble libraries), with the packages ``make test``
installs from package.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_node(script: Path, payload: Any, *, package: str) -> Any:
    """``script``'s JSON answer to ``payload`` (JSON on its stdin). Skips when node or
    ``node_modules/<package>`` is missing, outside CI; fails under CI, which installs them."""
    if not (shutil.which("node") and (ROOT / "node_modules" / package).exists()):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"node and node_modules/{package} are required under CI")
        pytest.skip("node or node_modules missing: run `make test`, which installs them")
    run = subprocess.run(  # noqa: S603 -- node with our own script, fixed arguments
        ["node", str(script)],  # noqa: S607 -- node from PATH, as make test uses it
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout)
