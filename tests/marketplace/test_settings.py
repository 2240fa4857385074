import pytest
from pydantic import ValidationError

from marketplace.settings import DEV_MASTER_KEY, DEV_RECORDER_KEY, DEV_SECRET_KEY, Settings
from tests.conftest import production_values

STRONG_MASTER = "cd" * 32


def test_development_mode_accepts_the_development_defaults() -> None:
    settings = Settings(mode="development")
    assert settings.secret_key.get_secret_value() == DEV_SECRET_KEY
    assert settings.master_key_bytes == bytes.fromhex(DEV_MASTER_KEY)


@pytest.mark.parametrize(
    "field", ["secret_key", "master_key", "anchor_recorder_key", "payment_webhook_secret"]
)
def test_production_refuses_each_development_secret(field: str) -> None:
    values = production_values()
    del values[field]
    with pytest.raises(ValidationError, match=f"DATABOURSE_{field.upper()}"):
        Settings.model_validate(values)


def test_production_refuses_the_in_process_chain() -> None:
    with pytest.raises(ValidationError, match="DATABOURSE_CHAIN_URL"):
        Settings.model_validate(production_values(chain_url="eth-tester://./var/chain"))


def test_production_starts_with_real_secrets() -> None:
    settings = Settings.model_validate(production_values(master_key=STRONG_MASTER))
    assert settings.master_key_bytes == bytes.fromhex(STRONG_MASTER)


@pytest.mark.parametrize("bad", ["abc", "zz" * 32, "ab" * 31])
def test_master_key_must_be_32_bytes_of_hex(bad: str) -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(master_key=bad)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABOURSE_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("DATABOURSE_ANCHOR_BATCH_ENTRIES_MAX", "1000")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    assert settings.anchor_batch_entries_max == 1000


def test_there_are_only_development_and_production_modes() -> None:
    with pytest.raises(ValidationError, match="mode"):
        Settings(mode="test")  # type: ignore[arg-type]


def test_production_refuses_loopback_webhooks_which_development_allows() -> None:
    assert Settings(mode="development", webhook_allow_loopback=True).webhook_allow_loopback
    with pytest.raises(ValidationError, match="DATABOURSE_WEBHOOK_ALLOW_LOOPBACK"):
        Settings.model_validate(production_values(webhook_allow_loopback=True))


def test_the_webhook_backoff_minimum_may_not_exceed_its_maximum() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_BACKOFF_S_MIN"):
        Settings(webhook_backoff_s_min=10, webhook_backoff_s_max=1)


def test_production_refuses_short_auction_windows_which_development_allows() -> None:
    assert Settings(mode="development", auction_window_s_min=2).auction_window_s_min == 2
    with pytest.raises(ValidationError, match="DATABOURSE_AUCTION_WINDOW_S_MIN"):
        Settings.model_validate(production_values(auction_window_s_min=2))


def test_the_auction_window_minimum_is_a_minute_unless_lowered() -> None:
    assert Settings().auction_window_s_min == 60
    with pytest.raises(ValidationError, match="auction_window_s_min"):
        Settings(auction_window_s_min=0)


@pytest.mark.parametrize(
    "spelling",
    [DEV_RECORDER_KEY.removeprefix("0x"), DEV_RECORDER_KEY.upper().replace("0X", "0x")],
)
def test_production_refuses_the_development_recorder_key_however_it_is_spelt(
    spelling: str,
) -> None:
    # eth_account takes the key with or without 0x, in either case: it is anvil's account 0.
    with pytest.raises(ValidationError, match="DATABOURSE_ANCHOR_RECORDER_KEY"):
        Settings.model_validate(production_values(anchor_recorder_key=spelling))


@pytest.mark.parametrize("weak", ["", "x", "short-secret"])
def test_production_refuses_an_empty_or_short_payment_webhook_secret(weak: str) -> None:
    # An empty HMAC key lets anyone sign a payment webhook.
    with pytest.raises(ValidationError, match="DATABOURSE_PAYMENT_WEBHOOK_SECRET"):
        Settings.model_validate(production_values(payment_webhook_secret=weak))


@pytest.mark.parametrize(
    ("public_url", "siwe_domain", "refused"),
    [
        ("http://exchange.example", "exchange.example", "DATABOURSE_PUBLIC_URL to be https://"),
        ("https://exchange.example", "127.0.0.1:8000", "DATABOURSE_SIWE_DOMAIN to be 'exchange"),
        ("https://exchange.example:8443", "exchange.example", "'exchange.example:8443'"),
    ],
)
def test_production_is_reached_over_tls_and_signs_in_to_its_own_domain(
    public_url: str, siwe_domain: str, refused: str
) -> None:
    # Session cookies are Secure and HSTS is sent only over https; a wallet signs a message
    # naming the domain it sees.
    with pytest.raises(ValidationError, match=refused):
        Settings.model_validate(production_values(public_url=public_url, siwe_domain=siwe_domain))
    fine = production_values(public_url="https://exchange.example", siwe_domain="exchange.example")
    assert Settings.model_validate(fine).public_url == "https://exchange.example"
    loopback = Settings.model_validate(production_values())  # http on this host only: allowed
    assert loopback.public_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("public_url", "garbage"),
        ("public_url", "ftp://exchange.example"),
        ("siwe_domain", ""),
        ("siwe_domain", "exchange.example/login"),
        ("currency", ""),
        ("currency", "yuan"),
        ("anchor_contract_address", "nonsense"),
        ("host", "bad host"),
    ],
)
def test_a_setting_in_no_usable_form_is_refused_at_start(name: str, value: str) -> None:
    # Each was taken and failed later, far from its cause (a SIWE message naming "", a
    # contract "nonsense", a currency "").
    with pytest.raises(ValidationError, match=name):
        Settings.model_validate({name: value})
