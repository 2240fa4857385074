"""Showing a suite's figures (faults injected, operations, failures) in the pytest output."""

from __future__ import annotations

import pytest


def show(config: pytest.Config, line: str) -> None:
    """Write ``line`` to the terminal, past output capture (a serial run shows it; an xdist
    worker has no terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)
