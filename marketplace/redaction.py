"""The settings' secrets, as the log formatter scrubs them: whatever a log line or a traceback
carries (an exception's message quoting a node URL with its API key, a misused format string),
none of these values is written.

Secrets of accounts (passwords, bearer tokens, custodial keys, webhook secrets) are never in the
settings; they are never logged in the first place, and tests/e2e/test_secrets_in_logs.py greps
the logs of a full run for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from marketplace.settings import Settings

# Shorter values are not scrubbed: a two-character password would blank every line it occurs in
# by chance. Settings refuse secrets that short anyway (a secret key has at least 32 characters).
_SECRET_CHARS_MIN = 8


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold, longest first (so none is scrubbed half)."""
    values = [
        settings.secret_key.get_secret_value(),
        settings.master_key.get_secret_value(),
        settings.payment_webhook_secret.get_secret_value(),
    ]
    recorder = settings.anchor_recorder_key.get_secret_value()
    values += [recorder, recorder.removeprefix("0x")]
    for url in (
        settings.database_url,
        settings.chain_url,
        settings.blob_url,
        settings.rate_limit_storage_url,
    ):
        values += url_secrets(url)
    return _longest_first(values)


def scrubbed(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each of ``secrets`` (longest first: ``secrets_of``) written as ``***``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def url_secrets(url: str) -> list[str]:
    """A URL's password, and for a node on the network its path and query, where providers put
    their API keys (https://mainnet.example/v3/KEY)."""
    parts = urlsplit(url)
    found = [parts.password or ""]
    if parts.scheme in {"http", "https", "ws", "wss"}:
        found += [parts.path.strip("/"), parts.query]
    return found


def _longest_first(values: Iterable[str]) -> list[str]:
    kept = {v for v in values if len(v) >= _SECRET_CHARS_MIN}
    return sorted(kept, key=len, reverse=True)
