"""``bourse settle`` in a process of its own: the jobs it runs call the delivery domain through
seams (the downloads a per-download period charges for, the licence a stopped subscription
ends), registered when that domain is imported. The server imports every domain; this command
once imported none, failed every per-download period and left refused subscriptions' licences
open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SETTLE_ONCE = """
from typer.testing import CliRunner
from marketplace.cli import app
import marketplace.orders.service as orders
for args in (["db", "upgrade"], ["settle", "--once"]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print(len(orders.usage_counters), len(orders.stop_hooks), result.output.strip())
"""


def test_bourse_settle_runs_with_the_seams_its_jobs_call(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABOURSE_DATABASE_URL": f"sqlite:///{tmp_path / 'bourse.db'}",
        "DATABOURSE_CONFIG_DIR": str(tmp_path / "config"),
    }
    ran = subprocess.run(  # noqa: S603 -- this interpreter, a fixed script
        [sys.executable, "-c", SETTLE_ONCE],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    counters, stop_hooks, said = ran.stdout.strip().split(" ", 2)
    assert (counters, stop_hooks) == ("1", "1")
    assert said == "settled 0 orders [], expired 0 []"
