"""The log formatter scrubs the settings' secrets from every line, tracebacks included: a node
URL's API key quoted by a connection error, a database password, the master key."""

from __future__ import annotations

import logging

import pytest

from marketplace.observability import LOGGER_ROOTS, configure_logging
from marketplace.redaction import secrets_of
from marketplace.settings import Settings

NODE_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
DB_PASSWORD = "correct-horse-battery"
MASTER_KEY = "ab" * 32


@pytest.fixture
def settings() -> Settings:
    return Settings(
        chain_url=f"https://mainnet.node.example/v3/{NODE_KEY}",
        database_url=f"postgresql+psycopg://exchange:{DB_PASSWORD}@db.internal:5432/bourse",
        master_key=MASTER_KEY,  # type: ignore[arg-type]
    )


def test_settings_secrets_never_reach_a_log_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG", True, secrets_of(settings))
    log = logging.getLogger("marketplace.test")
    try:
        log.debug("connecting to %s and %s", settings.chain_url, settings.database_url)
        error = ConnectionError(f"Max retries exceeded with url: /v3/{NODE_KEY} key {MASTER_KEY}")
        log.error("chain unavailable", exc_info=error)
        err = capsys.readouterr().err
    finally:
        for name in LOGGER_ROOTS:
            logging.getLogger(name).handlers[:] = []
    assert "https://mainnet.node.example/***" in err
    assert "exchange:***@db.internal" in err
    assert "Max retries exceeded with url: /***" in err
    for secret in (NODE_KEY, DB_PASSWORD, MASTER_KEY, settings.secret_key.get_secret_value()):
        assert secret not in err


def test_short_or_public_parts_of_urls_are_not_scrubbed(settings: Settings) -> None:
    scrubbed = secrets_of(settings)
    assert "db.internal" not in scrubbed
    assert not [s for s in scrubbed if len(s) < 8]
