"""Failed password logins, counted so that an attacker cannot lock the owner out.

Three counters per failure, in the exchange's abuse-limit store (``marketplace.ratelimit``:
in process by default, one Redis for every API process at scale), each keyed by an HMAC, never
the email or the address itself; each counts failures in a moving window of
``login_failure_window_s``:

- **per client**: the login name with the client's network (its IPv4 address, or its IPv6 /64,
  which one subscriber gets whole). ``login_failures_per_client_max`` failures and *that client*
  gets 429 for that name until the oldest leaves the window; the owner, from any other client,
  logs in as usual;
- **per account**: the login name from every client. It never refuses a login by itself: once it
  reaches ``login_failures_per_account_max`` the name is under a distributed attack, and each
  client's allowance drops to ``login_failures_per_client_under_attack_max``, which slows
  guessing from many addresses without shutting out a client that has not failed;
- **per network**: the client's network, whatever the login name.
  ``login_failures_per_network_max`` failures and that network gets 429 for every login name, so
  that one client cannot keep the password hasher busy with made-up names.

A successful login clears its client's counter, not the account's (an attack goes on whoever
logs in).
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.identity import tokens
from marketplace.identity.errors import LoginThrottled
from marketplace.ratelimit import RateLimits, client_network


@dataclass(frozen=True)
class ThrottleKeys:
    client: str  # the login name from this client's network
    account: str  # the login name from anywhere
    network: str  # any login name from this client's network


def keys_for(secret: str, login_name: str, client_host: str | None) -> ThrottleKeys:
    network = client_network(client_host)
    return ThrottleKeys(
        client=tokens.digest(secret, f"{login_name}\n{network}", purpose="login-throttle-client"),
        account=tokens.digest(secret, login_name, purpose="login-throttle"),
        network=tokens.digest(secret, network, purpose="login-throttle-network"),
    )


def check(rates: RateLimits, keys: ThrottleKeys) -> None:
    """Raises LoginThrottled when this client has used up its allowance for this login name, or
    its network for every login name."""
    rules = rates.rules
    rates.check(rules.login_failures_per_network, keys.network, LoginThrottled)
    if rates.exhausted(rules.login_failures_per_account, keys.account):
        rates.check(rules.login_failures_per_client_under_attack, keys.client, LoginThrottled)
    else:
        rates.check(rules.login_failures_per_client, keys.client, LoginThrottled)


def record_failure(rates: RateLimits, keys: ThrottleKeys) -> None:
    rules = rates.rules
    rates.record(rules.login_failures_per_client, keys.client)
    rates.record(rules.login_failures_per_client_under_attack, keys.client)
    rates.record(rules.login_failures_per_account, keys.account)
    rates.record(rules.login_failures_per_network, keys.network)


def clear_client(rates: RateLimits, keys: ThrottleKeys) -> None:
    rates.clear(rates.rules.login_failures_per_client, keys.client)
    rates.clear(rates.rules.login_failures_per_client_under_attack, keys.client)
