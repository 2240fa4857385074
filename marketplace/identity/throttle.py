"""Failed password logins, counted so that an attacker cannot lock the owner out.

Two counters per login name live in ``login_throttle`` (in the database, so every API process
shares them), each keyed by an HMAC, never the email or the address itself:

- **per client**: the login name with the client's network (its IPv4 address, or its IPv6 /64,
  which one subscriber gets whole). ``limits.login_failures_per_client_max`` failures within
  ``limits.login_failure_window_s`` and *that client* gets 429 for that name until the window
  ends; the owner, from any other client, logs in as usual;
- **per account**: the login name from every client. It never refuses a login by itself: once it
  reaches ``limits.login_failures_per_account_max`` the name is under a distributed attack, and
  each client's allowance drops to ``limits.login_failures_per_client_under_attack_max``, which
  slows guessing from many addresses without shutting out a client that has not failed;
- **per network**: the client's network, whatever the login name.
  ``limits.login_failures_per_network_max`` failures and that network gets 429 for every login
  name, so that one client cannot keep the password hasher busy with made-up names.

A window starts with its first failure; a failure after it starts a new one at 1. A successful
login clears its client's counter, not the account's (an attack goes on whoever logs in).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ledger.models import as_utc
from marketplace import limits
from marketplace.identity import repository, tokens
from marketplace.identity.errors import LoginThrottled
from marketplace.identity.models import LoginThrottle

_WINDOW = timedelta(seconds=limits.login_failure_window_s)
_IPV6_SUBSCRIBER_PREFIX = 64


@dataclass(frozen=True)
class ThrottleKeys:
    client: str  # the login name from this client's network
    account: str  # the login name from anywhere
    network: str  # any login name from this client's network


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


def keys_for(secret: str, login_name: str, client_host: str | None) -> ThrottleKeys:
    network = client_network(client_host)
    return ThrottleKeys(
        client=tokens.digest(secret, f"{login_name}\n{network}", purpose="login-throttle-client"),
        account=tokens.digest(secret, login_name, purpose="login-throttle"),
        network=tokens.digest(secret, network, purpose="login-throttle-network"),
    )


def _failures(row: LoginThrottle | None, now: datetime) -> tuple[int, datetime]:
    """Failures in the row's current window, and when that window ends."""
    if row is None:
        return 0, now
    window_end = as_utc(row.window_started_at) + _WINDOW
    return (row.failures, window_end) if window_end > now else (0, now)


def check(session: Session, keys: ThrottleKeys, now: datetime) -> None:
    """Raises LoginThrottled when this client has used up its allowance for this login name, or
    its network for every login name."""
    network_failures, window_end = _failures(repository.login_throttle(session, keys.network), now)
    if network_failures >= limits.login_failures_per_network_max:
        raise LoginThrottled(
            f"too many failed logins from your network; try again in {_wait_s(window_end, now)} s",
            retry_after_s=_wait_s(window_end, now),
        )
    client_failures, window_end = _failures(repository.login_throttle(session, keys.client), now)
    if client_failures == 0:
        return
    account_failures, _ = _failures(repository.login_throttle(session, keys.account), now)
    allowance = limits.login_failures_per_client_max
    if account_failures >= limits.login_failures_per_account_max:
        allowance = limits.login_failures_per_client_under_attack_max
    if client_failures >= allowance:
        raise LoginThrottled(
            "too many failed logins for this account from your network; try again in "
            f"{_wait_s(window_end, now)} s",
            retry_after_s=_wait_s(window_end, now),
        )


def _wait_s(window_end: datetime, now: datetime) -> int:
    return int((window_end - now).total_seconds()) + 1


def record_failure(session: Session, keys: ThrottleKeys, now: datetime) -> None:
    window_start = now - _WINDOW
    repository.record_login_failure(session, keys.client, now, window_start)
    repository.record_login_failure(session, keys.account, now, window_start)
    repository.record_login_failure(session, keys.network, now, window_start)


def clear_client(session: Session, keys: ThrottleKeys) -> None:
    repository.clear_login_failures(session, keys.client)
