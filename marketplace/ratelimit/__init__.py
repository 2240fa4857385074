"""Abuse limits: how often one client network, account or organisation may do a thing that costs
the exchange (a password hash, a nonce row, a stored file) or its users (a flood of objections).

Counting goes through the ``limits`` library with its moving-window strategy: a rule "N per W
seconds" lets a key act N times in any W seconds, and the N+1th gets 429 with ``Retry-After``
saying when the oldest hit leaves the window. The counters live where
``rate_limit_storage_url`` says:

- ``memory://`` (the default): in this process, with no set-up. One API process is the
  embedded deployment; each process of several would count on its own.
- ``redis://host:port/db``: one store every API process shares, so N means N per exchange.

Keys are namespaced by ``rate_limit_key_prefix`` and the rule's name; client networks, email
addresses and ids are used as given (an email key is an HMAC, never the address). A store that
cannot be reached answers 503 with ``Retry-After``: an abuse limit is never skipped silently.
The operator learns it from a warning in the log (at most one a minute) and from ``/health``,
whose ``rate_limits`` part reports a shared store (``attach_probe``).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from marketplace.errors import ServiceUnavailable, TooManyRequests
from marketplace.runtime import Runtime
from marketplace.settings import Settings

STORE_RETRY_AFTER_S = 5
STORE_WARNING_INTERVAL_S = 60  # at most one "unreachable" warning a minute per process
_IPV6_SUBSCRIBER_PREFIX = 64
_T = TypeVar("_T")
log = logging.getLogger(__name__)


class RateLimited(TooManyRequests):
    code = "rate_limited"


class RateLimitStoreUnavailable(ServiceUnavailable):
    code = "rate_limit_store_unavailable"


@dataclass(frozen=True)
class Rule:
    """At most ``amount`` hits per key in any ``window_s`` seconds; ``what`` names the thing
    counted, in a refusal's message ("sign-ups from your network")."""

    name: str
    amount: int
    window_s: int
    what: str

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.window_s, namespace=self.name)


@dataclass(frozen=True)
class Rules:
    """Every rule, with the values of the settings."""

    signup: Rule
    siwe_nonce: Rule
    login_failures_per_client: Rule
    login_failures_per_client_under_attack: Rule
    login_failures_per_account: Rule
    login_failures_per_network: Rule
    objection: Rule
    bid: Rule
    evidence_upload: Rule

    @classmethod
    def from_settings(cls, s: Settings) -> Rules:
        login_s = s.login_failure_window_s
        return cls(
            signup=Rule(
                "signup", s.signups_per_network_max, s.signup_window_s, "sign-ups from your network"
            ),
            siwe_nonce=Rule(
                "siwe-nonce",
                s.siwe_nonces_per_network_max,
                s.siwe_nonce_window_s,
                "sign-in nonces for your network",
            ),
            login_failures_per_client=Rule(
                "login-client",
                s.login_failures_per_client_max,
                login_s,
                "failed logins for this account from your network",
            ),
            login_failures_per_client_under_attack=Rule(
                "login-client-attacked",
                s.login_failures_per_client_under_attack_max,
                login_s,
                "failed logins for this account from your network",
            ),
            login_failures_per_account=Rule(
                "login-account", s.login_failures_per_account_max, login_s, "failed logins"
            ),
            login_failures_per_network=Rule(
                "login-network",
                s.login_failures_per_network_max,
                login_s,
                "failed logins from your network",
            ),
            objection=Rule(
                "objection",
                s.objection_filings_per_window_max,
                s.objection_filing_window_s,
                "objections filed by your organisation",
            ),
            bid=Rule(
                "bid",
                s.bids_per_organization_max,
                s.bid_window_s,
                "bids committed by your organisation",
            ),
            evidence_upload=Rule(
                "evidence-upload",
                s.evidence_uploads_per_account_max,
                s.evidence_upload_window_s,
                "evidence files uploaded by your account",
            ),
        )


class RateLimits:
    """The exchange's abuse counters, in the store the settings name."""

    def __init__(self, settings: Settings) -> None:
        self.rules = Rules.from_settings(settings)
        storage = storage_from_string(
            settings.rate_limit_storage_url,
            key_prefix=settings.rate_limit_key_prefix,
            wrap_exceptions=True,
        )
        assert isinstance(storage, Storage), "the settings name a synchronous store"
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._prefix = settings.rate_limit_key_prefix
        self._warned_at = -math.inf
        self._warned_lock = threading.Lock()

    def probe(self) -> dict[str, Any]:
        """``/health``'s view of the store: whether it answers now."""
        if self._storage.check():
            return {"ok": True}
        return {
            "ok": False,
            "error": "rate-limit store unreachable",
            "detail": "every request an abuse limit counts (sign-up, login, bids, evidence, "
            "objections) is refused with 503 until it answers",
        }

    def hit(self, rule: Rule, key: str, error: type[TooManyRequests] = RateLimited) -> None:
        """Counts one hit for ``key``; raises ``error`` (counting nothing) when the window is
        full."""
        if not self._call(lambda: self._limiter.hit(rule.item, self._prefix, key)):
            self._refuse(rule, key, error)

    def check(self, rule: Rule, key: str, error: type[TooManyRequests] = RateLimited) -> None:
        """Raises ``error`` when ``key`` has no hit left in the window; counts nothing."""
        if not self._call(lambda: self._limiter.test(rule.item, self._prefix, key)):
            self._refuse(rule, key, error)

    def exhausted(self, rule: Rule, key: str) -> bool:
        return not self._call(lambda: self._limiter.test(rule.item, self._prefix, key))

    def record(self, rule: Rule, key: str) -> None:
        """Counts one hit if the window has room, and never refuses: for counters that other
        checks read (failed logins)."""
        self._call(lambda: self._limiter.hit(rule.item, self._prefix, key))

    def clear(self, rule: Rule, key: str) -> None:
        self._call(lambda: self._limiter.clear(rule.item, self._prefix, key))

    def _refuse(self, rule: Rule, key: str, error: type[TooManyRequests]) -> NoReturn:
        stats = self._call(lambda: self._limiter.get_window_stats(rule.item, self._prefix, key))
        wait_s = max(1, math.ceil(stats.reset_time - time.time()))
        raise error(
            f"too many {rule.what}: at most {rule.amount} in {_duration(rule.window_s)}; "
            f"try again in {wait_s} s",
            retry_after_s=wait_s,
        )

    def _call(self, operation: Callable[[], _T]) -> _T:
        try:
            return operation()
        except StorageError as exc:
            self._warn(exc)
            raise RateLimitStoreUnavailable(
                "the rate-limit store is unreachable; nothing was done, try again in a moment",
                retry_after_s=STORE_RETRY_AFTER_S,
            ) from exc

    def _warn(self, exc: StorageError) -> None:
        now = time.monotonic()
        with self._warned_lock:
            if now - self._warned_at < STORE_WARNING_INTERVAL_S:
                return
            self._warned_at = now
        log.warning(
            "rate-limit store unreachable: requests the abuse limits count get 503 until it "
            "answers (%s)",
            type(exc.storage_error).__name__,
        )


def attach_probe(runtime: Runtime) -> None:
    """``/health`` reports a shared store (``redis://``); one in this process always answers."""
    if not runtime.settings.rate_limit_storage_url.startswith("memory://"):
        runtime.probes["rate_limits"] = lambda: rate_limits_of(runtime).probe()


def _duration(seconds: int) -> str:
    for unit_s, unit in ((3600, "hour"), (60, "minute")):
        if seconds % unit_s == 0:
            count = seconds // unit_s
            return f"{count} {unit}s" if count != 1 else f"1 {unit}"
    return f"{seconds} s"


def rate_limits_of(runtime: Runtime) -> RateLimits:
    """The runtime's counters, made on first use (one store per running service)."""
    made: RateLimits | None = runtime.rate_limits
    if made is None:
        with runtime.rate_limits_lock:
            made = runtime.rate_limits
            if made is None:
                made = runtime.rate_limits = RateLimits(runtime.settings)
    return made


def client_network(host: str | None) -> str:
    """The part of a client address one party controls: an IPv4 address, an IPv6 /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP (a test client, a Unix socket): the name itself
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, _IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(address)


__all__ = [
    "RateLimitStoreUnavailable",
    "RateLimited",
    "RateLimits",
    "Rule",
    "Rules",
    "client_network",
    "rate_limits_of",
]
