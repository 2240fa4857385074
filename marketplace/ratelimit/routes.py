"""Abuse limits as route dependencies: one hit per request, keyed by the caller's network,
account or organisation, before the route does anything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from marketplace.identity.auth import CurrentAccount
from marketplace.ratelimit import RateLimits, Rule, Rules, client_network, rate_limits_of
from marketplace.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_rate_limits(request: Request) -> RateLimits:
    return rate_limits_of(_runtime(request))


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]


def client_network_of(request: Request) -> str:
    return client_network(request.client.host if request.client else None)


def per_client_network(pick: Callable[[Rules], Rule]) -> Callable[[Request], None]:
    """A route dependency: one hit per request on the caller's network (IPv4 address, IPv6
    /64), before anything else runs."""

    def limit(request: Request) -> None:
        rates = get_rate_limits(request)
        rates.hit(pick(rates.rules), client_network_of(request))

    return limit


def per_account(pick: Callable[[Rules], Rule]) -> Callable[[Request, CurrentAccount], None]:
    def limit(request: Request, principal: CurrentAccount) -> None:
        rates = get_rate_limits(request)
        rates.hit(pick(rates.rules), f"account:{principal.account.id}")

    return limit


def per_organization(pick: Callable[[Rules], Rule]) -> Callable[[Request, CurrentAccount], None]:
    def limit(request: Request, principal: CurrentAccount) -> None:
        rates = get_rate_limits(request)
        rates.hit(pick(rates.rules), f"organization:{principal.organization.id}")

    return limit
