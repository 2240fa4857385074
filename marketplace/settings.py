"""One settings class for the whole service (env prefix ``DATABOURSE_``, ``.env`` supported)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger import limits as ledger_limits
from marketplace import limits
from marketplace.money import Currency

# Development-only secrets. The service refuses to start with them outside development mode.
DEV_SECRET_KEY = "dev-secret-key-not-for-production-use-0000"  # noqa: S105 -- refused outside dev
DEV_MASTER_KEY = "00" * 32  # 256-bit AES key, hex; refused outside development
# Account 0 of the well-known development mnemonic ("test test ... junk") that anvil funds; the
# in-process EVM funds it at genesis. It only ever holds test ether.
DEV_RECORDER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
# The payment provider's webhook signing secret in development; refused outside development.
DEV_PAYMENT_WEBHOOK_SECRET = "dev-payment-webhook-secret-not-for-production"  # noqa: S105


def _key_text(secret: str) -> str:
    """A secret as compared with a development one: a hex key is the same key with or without
    0x and in either case (eth_account takes every spelling)."""
    return secret.strip().lower().removeprefix("0x")


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_public_address(public_url: str, siwe_domain: str) -> None:
    """Production: the exchange is reached over TLS (its session cookies are ``Secure`` and
    HSTS is sent only then), unless only this host reaches it; and wallets sign in to the
    domain they see, the public URL's."""
    public = urlsplit(public_url)
    if public.scheme != "https" and public.hostname not in _LOOPBACK_HOSTS:
        raise ValueError(
            "production mode needs DATABOURSE_PUBLIC_URL to be https:// (http:// only on the "
            "loopback, e.g. behind a TLS proxy on this host)"
        )
    if siwe_domain != public.netloc:
        raise ValueError(
            f"production mode needs DATABOURSE_SIWE_DOMAIN to be {public.netloc!r}, the host "
            "of DATABOURSE_PUBLIC_URL: wallets sign in to the domain they see"
        )


class Settings(BaseSettings):
    """Service configuration. Every field can be set as ``DATABOURSE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="DATABOURSE_", env_file=".env", extra="ignore", frozen=True
    )

    mode: Literal["development", "production"] = "development"
    host: str = Field(default="127.0.0.1", pattern=r"^[A-Za-z0-9.:-]{1,253}$")
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = Field(
        default="http://127.0.0.1:8000", pattern=r"^https?://[^\s/?#@]+(/\S*)?$"
    )

    database_url: str = "sqlite:///./var/databourse.db"
    chain_url: str = "eth-tester://./var/chain"
    blob_url: str = "file://./var/blobs"

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    master_key: SecretStr = SecretStr(DEV_MASTER_KEY)

    # Money
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")  # an ISO 4217 code
    currency_scale: int = Field(default=2, ge=0, le=8)

    # Identity
    token_ttl_s: int = Field(default=limits.token_ttl_s_default, ge=60, le=limits.token_ttl_s_max)
    siwe_domain: str = Field(default="127.0.0.1:8000", pattern=r"^[A-Za-z0-9.\-\[\]:]{1,253}$")

    # Ledger anchoring
    anchor_contract_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    anchor_recorder_key: SecretStr = SecretStr(DEV_RECORDER_KEY)
    anchor_batch_entries_max: int = Field(
        default=limits.anchor_batch_entries_max_default,
        ge=1,
        le=limits.anchor_batch_entries_max_ceiling,
    )
    anchor_batch_age_s: float = Field(default=limits.anchor_batch_age_s_default, ge=0, le=3600)
    anchor_confirmations: int = Field(default=1, ge=1, le=1000)
    anchor_poll_s: float = Field(default=1.0, gt=0, le=600)
    # How long a worker that stopped renewing (a killed process) keeps others off the anchoring.
    anchor_lease_s: float = Field(default=ledger_limits.anchor_lease_s, gt=0, le=3600)
    worker_in_process: bool = True
    # Verifiers (bourse verify, bourse ledger verify): the trust file an auditor saved once with
    # `bourse ledger trust save`; it pins the exchange's contract (docs/ledger.md#pinning).
    trust_file: str | None = None

    # HTTP
    request_body_bytes_max: int = Field(default=limits.request_body_bytes_max, ge=1024)
    # Data assets: uploads stream past the body limit above and are held to this one instead.
    upload_bytes_max: int = Field(default=limits.upload_bytes_max_default, ge=1)

    # Quality evaluation: each GB/T 36344 dimension's weight in the overall score (docs/quality.md).
    # Non-negative integers, not all zero; renormalised over the dimensions a report could judge.
    # Evaluate every tabular upload by itself, in the background (off: only on request).
    quality_evaluate_on_upload: bool = True
    quality_weight_normativity: int = Field(default=20, ge=0, le=1000)
    quality_weight_completeness: int = Field(default=20, ge=0, le=1000)
    quality_weight_accuracy: int = Field(default=20, ge=0, le=1000)
    quality_weight_consistency: int = Field(default=15, ge=0, le=1000)
    quality_weight_timeliness: int = Field(default=10, ge=0, le=1000)
    quality_weight_accessibility: int = Field(default=15, ge=0, le=1000)

    # Webhooks (docs/notifications.md): retries with exponential backoff and jitter, then failed.
    webhook_attempts_max: int = Field(
        default=limits.webhook_attempts_max_default, ge=1, le=limits.webhook_attempts_max_ceiling
    )
    webhook_backoff_s_min: float = Field(
        default=limits.webhook_backoff_s_min_default, ge=0.01, le=24 * 3600
    )
    webhook_backoff_s_max: float = Field(
        default=limits.webhook_backoff_s_max_default, ge=0.01, le=7 * 24 * 3600
    )
    webhook_timeout_s: float = Field(default=limits.webhook_timeout_s, gt=0, le=60)
    webhook_poll_s: float = Field(default=1.0, gt=0, le=600)
    # Development and tests only: webhook URLs on loopback addresses (http:// too). Refused in
    # production, where every webhook must be https:// on a public address.
    webhook_allow_loopback: bool = False

    # Sealed-bid auctions (docs/auctions.md#deposits): the deposit each bidder owes when it
    # commits, forfeited if it never reveals. It is ``auction_deposit_bp`` basis points of the
    # reserve (500 = 5 %), rounded up, and at least ``auction_deposit_minor_min`` minor units;
    # fixed on the auction when it opens, so a later change does not touch open auctions.
    auction_deposit_bp: int = Field(default=500, ge=0, le=limits.auction_deposit_bp_max)
    auction_deposit_minor_min: int = Field(default=100, ge=0, le=limits.amount_minor_max)
    # The shortest commit window and reveal window an auction may have (docs/auctions.md).
    # Development may lower it (the demo's own exchange runs auctions of seconds); production
    # refuses anything below the default.
    auction_window_s_min: int = Field(
        default=limits.auction_window_s_min_default, ge=1, le=limits.auction_window_s_min_default
    )
    # Idempotency keys (docs/api.md#idempotency): how long a key's answer is kept and replayed.
    idempotency_key_ttl_s: int = Field(
        default=limits.idempotency_key_ttl_s_default, ge=60, le=limits.idempotency_key_ttl_s_max
    )

    # Settlement (docs/orders.md#payment-and-settlement). The exchange fee in basis points of
    # the price (250 = 2.5 %), by the asset's category (its DCAT theme, compared case-folded),
    # else the default; fee = floor(price * bp / 10000), fixed on the order when it is paid.
    # The by-category map is JSON: DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY='{"transport": 100}'.
    exchange_fee_bp: int = Field(default=250, ge=0, le=limits.exchange_fee_bp_max)
    exchange_fee_bp_by_category: dict[str, int] = Field(
        default_factory=dict, max_length=limits.exchange_fee_categories_max
    )
    # A placed order not paid within this long expires (the settlement job).
    order_payment_window_s: int = Field(
        default=limits.order_payment_window_s_default, ge=1, le=limits.order_payment_window_s_max
    )
    settlement_poll_s: float = Field(default=5.0, gt=0, le=3600)
    # Books (docs/books.md): deposits and withdrawals go through this payment provider.
    # "simulated": a simulated bank that confirms at once (development); "simulated_deferred":
    # the same bank confirming payments only through its signed webhook, as real providers do;
    # "simulated_failing" refuses every withdrawal, "simulated_timeout" loses the answer to each
    # payment's first call (docs/books.md#providers).
    payment_provider: Literal[
        "simulated", "simulated_deferred", "simulated_failing", "simulated_timeout"
    ] = "simulated"
    payment_webhook_secret: SecretStr = SecretStr(DEV_PAYMENT_WEBHOOK_SECRET)

    # Delivery (docs/delivery.md): how long a signed download URL lives, at most 15 minutes.
    delivery_url_ttl_s: int = Field(
        default=limits.delivery_url_ttl_s_default, ge=1, le=limits.delivery_url_ttl_s_max
    )

    # Disputes (docs/disputes.md): how long a settled order may be disputed when it has no
    # window of its own (placed before orders kept their terms' ``dispute_window_h``: every
    # later order has the window its terms signed), how long evidence is taken, how long a
    # ruling may be appealed; each side's arbitration fee and the appellant's (minor units of
    # the order's currency); how recent a trade with a party rules an arbitrator out of the draw.
    dispute_window_s: int = Field(
        default=limits.dispute_window_s_default, ge=1, le=limits.dispute_window_s_max
    )
    evidence_period_s: int = Field(
        default=limits.evidence_period_s_default, ge=1, le=limits.dispute_window_s_max
    )
    appeal_window_s: int = Field(
        default=limits.appeal_window_s_default, ge=1, le=limits.dispute_window_s_max
    )
    arbitration_fee_minor: int = Field(
        default=limits.arbitration_fee_minor_default, ge=0, le=limits.amount_minor_max
    )
    appeal_fee_minor: int = Field(
        default=limits.appeal_fee_minor_default, ge=0, le=limits.amount_minor_max
    )
    arbitrator_conflict_days: int = Field(
        default=limits.arbitrator_conflict_days_default,
        ge=0,
        le=limits.arbitrator_conflict_days_max,
    )

    # Abuse limits (docs/operations.md#abuse-limits): moving windows of N hits per key. The
    # counters live in this process ("memory://") or in one store every API process shares
    # ("redis://127.0.0.1:6379/0"), under the key prefix (one per exchange sharing a Redis).
    rate_limit_storage_url: str = Field(
        default="memory://", pattern=r"^(memory|redis|rediss|redis\+unix)://"
    )
    rate_limit_key_prefix: str = Field(default="databourse", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    signups_per_network_max: int = Field(default=limits.signups_per_network_max_default, ge=1)
    signup_window_s: int = Field(default=limits.signup_window_s_default, ge=1, le=86_400)
    siwe_nonces_per_network_max: int = Field(
        default=limits.siwe_nonces_per_network_max_default, ge=1
    )
    siwe_nonce_window_s: int = Field(default=limits.siwe_nonce_window_s_default, ge=1, le=86_400)
    login_failure_window_s: int = Field(
        default=limits.login_failure_window_s_default, ge=1, le=86_400
    )
    login_failures_per_client_max: int = Field(
        default=limits.login_failures_per_client_max_default, ge=1
    )
    login_failures_per_account_max: int = Field(
        default=limits.login_failures_per_account_max_default, ge=1
    )
    login_failures_per_client_under_attack_max: int = Field(
        default=limits.login_failures_per_client_under_attack_max_default, ge=1
    )
    login_failures_per_network_max: int = Field(
        default=limits.login_failures_per_network_max_default, ge=1
    )
    objection_filings_per_window_max: int = Field(
        default=limits.objection_filings_per_window_max_default, ge=1
    )
    objection_filing_window_s: int = Field(
        default=limits.objection_filing_window_s_default, ge=1, le=30 * 86_400
    )
    bids_per_organization_max: int = Field(default=limits.bids_per_organization_max_default, ge=1)
    bid_window_s: int = Field(default=limits.bid_window_s_default, ge=1, le=86_400)
    evidence_uploads_per_account_max: int = Field(
        default=limits.evidence_uploads_per_account_max_default, ge=1
    )
    evidence_upload_window_s: int = Field(
        default=limits.evidence_upload_window_s_default, ge=1, le=86_400
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_dev_secrets_outside_development(self) -> Self:
        if self.mode == "production":
            unsafe = [
                name
                for name, value, dev in (
                    ("secret_key", self.secret_key, DEV_SECRET_KEY),
                    ("master_key", self.master_key, DEV_MASTER_KEY),
                    ("anchor_recorder_key", self.anchor_recorder_key, DEV_RECORDER_KEY),
                    (
                        "payment_webhook_secret",
                        self.payment_webhook_secret,
                        DEV_PAYMENT_WEBHOOK_SECRET,
                    ),
                )
                if _key_text(value.get_secret_value()) == _key_text(dev)
            ]
            if unsafe:
                names = ", ".join(f"DATABOURSE_{n.upper()}" for n in unsafe)
                raise ValueError(f"production mode refuses the development defaults: set {names}")
            if (
                len(self.payment_webhook_secret.get_secret_value())
                < limits.payment_webhook_secret_chars_min
            ):
                # An empty key lets anyone sign a payment webhook; a short one, guess it.
                raise ValueError(
                    "production mode needs DATABOURSE_PAYMENT_WEBHOOK_SECRET of at least "
                    f"{limits.payment_webhook_secret_chars_min} characters"
                )
            if self.chain_url.startswith("eth-tester://"):
                raise ValueError("production mode needs a real chain: set DATABOURSE_CHAIN_URL")
            _check_public_address(self.public_url, self.siwe_domain)
            if self.webhook_allow_loopback:
                raise ValueError(
                    "production mode refuses DATABOURSE_WEBHOOK_ALLOW_LOOPBACK (development only)"
                )
            if self.auction_window_s_min < limits.auction_window_s_min_default:
                raise ValueError(
                    "production mode refuses DATABOURSE_AUCTION_WINDOW_S_MIN below "
                    f"{limits.auction_window_s_min_default} (development only)"
                )
        key = self.master_key.get_secret_value()
        if len(key) != 64 or any(c not in "0123456789abcdefABCDEF" for c in key):
            raise ValueError("DATABOURSE_MASTER_KEY must be 32 bytes as 64 hex digits")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("DATABOURSE_SECRET_KEY must be at least 32 characters")
        if self.webhook_backoff_s_min > self.webhook_backoff_s_max:
            raise ValueError(
                "DATABOURSE_WEBHOOK_BACKOFF_S_MIN must not exceed DATABOURSE_WEBHOOK_BACKOFF_S_MAX"
            )
        if any(
            not 0 <= bp <= limits.exchange_fee_bp_max
            for bp in self.exchange_fee_bp_by_category.values()
        ):
            raise ValueError(
                "DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY: each rate lies between 0 and "
                f"{limits.exchange_fee_bp_max} basis points"
            )
        if sum(self.quality_weights.values()) == 0:
            raise ValueError("the DATABOURSE_QUALITY_WEIGHT_* settings must not all be zero")
        return self

    @property
    def quality_weights(self) -> dict[str, int]:
        """The six quality dimensions' weights, by dimension name."""
        return {
            "normativity": self.quality_weight_normativity,
            "completeness": self.quality_weight_completeness,
            "accuracy": self.quality_weight_accuracy,
            "consistency": self.quality_weight_consistency,
            "timeliness": self.quality_weight_timeliness,
            "accessibility": self.quality_weight_accessibility,
        }

    @property
    def currency_unit(self) -> Currency:
        return Currency(self.currency, self.currency_scale)

    @property
    def master_key_bytes(self) -> bytes:
        return bytes.fromhex(self.master_key.get_secret_value())


@lru_cache
def get_settings() -> Settings:
    return Settings()
