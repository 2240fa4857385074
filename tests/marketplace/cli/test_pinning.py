"""What a verification is pinned to comes from the auditor's options and own environment, never
from a ``.env`` file in the directory it runs in: anyone who hands the auditor a directory (an
unpacked bundle, a checkout) could write one, and pin the check to a contract of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.cli.pinning import pin_of
from marketplace.settings import get_settings

PINNED = "0x8464135c8F25Da09e49BC8782676a84730C318bC"
FOREIGN = "0x663F3ad617193148711d28f5334eE4Ed07016602"


def _trust(path: Path, contract: str) -> Path:
    path.write_text(json.dumps({"version": 1, "chain_id": 31337, "contract": contract}))
    return path


@pytest.fixture
def handed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The auditor saved its trust file, then works in a directory someone else prepared."""
    config = tmp_path / "config"
    config.mkdir()
    _trust(config / "trust.json", PINNED)
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    for name in ("TRUST_FILE", "ANCHOR_CONTRACT_ADDRESS"):
        monkeypatch.delenv(f"DATABOURSE_{name}", raising=False)
    elsewhere = tmp_path / "handed-over"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    get_settings.cache_clear()
    yield elsewhere
    get_settings.cache_clear()


def test_a_dot_env_trust_file_does_not_replace_the_saved_pin(handed_over: Path) -> None:
    _trust(handed_over / "trust.json", FOREIGN)
    (handed_over / ".env").write_text("DATABOURSE_TRUST_FILE=./trust.json\n")
    pin = pin_of(None, None)
    assert pin is not None
    assert pin.contract == PINNED


def test_a_dot_env_contract_does_not_pin_an_unpinned_check(
    handed_over: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(handed_over / "no-config"))
    (handed_over / ".env").write_text(f"DATABOURSE_ANCHOR_CONTRACT_ADDRESS={FOREIGN}\n")
    assert pin_of(None, None) is None


def test_the_auditors_own_environment_still_names_the_trust_file(
    handed_over: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABOURSE_TRUST_FILE", str(_trust(handed_over / "mine.json", FOREIGN)))
    pin = pin_of(None, None)
    assert pin is not None
    assert pin.contract == FOREIGN
