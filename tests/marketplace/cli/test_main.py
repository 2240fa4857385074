"""``bourse`` refuses settings it cannot run with in a few lines, naming each variable and why,
and never echoing a value: no traceback, no dump of the settings (a secret's tail showed)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from marketplace.cli import main
from marketplace.settings import get_settings
from tests.conftest import production_env

WEBHOOK_SECRET = "whsec_0123456789_TAIL_OF_THE_SECRET"


@pytest.fixture(autouse=True)
def _production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    production_env(monkeypatch, payment_webhook_secret=WEBHOOK_SECRET)
    monkeypatch.setattr(sys, "argv", ["bourse", "db", "upgrade"])
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _refusal(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "TAIL_OF_THE_SECRET" not in err
    return err


def test_a_production_refusal_is_one_line_without_the_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABOURSE_CHAIN_URL", "eth-tester://./var/chain")
    err = _refusal(capsys)
    assert "production mode needs a real chain: set DATABOURSE_CHAIN_URL" in err


def test_a_setting_out_of_range_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABOURSE_TOKEN_TTL_S", "10")
    err = _refusal(capsys)
    assert "DATABOURSE_TOKEN_TTL_S: Input should be greater than or equal to 60" in err


def test_a_setting_that_does_not_parse_names_its_field(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY", "{bad")
    err = _refusal(capsys)
    assert 'error parsing value for field "exchange_fee_bp_by_category"' in err
