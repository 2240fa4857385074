"""Validation of external sources against server-side request forgery.

An external source must be an ``https`` URL whose host resolves only to public unicast
addresses. Every address the name resolves to is checked (a name with one private address
among public ones is refused), IPv4-mapped, 6to4, Teredo and NAT64 IPv6 forms are unwrapped to
the IPv4 address they carry, and numeric tricks (``https://2130706433/``, ``0x7f.1``) are
caught because the check runs on what the resolver returns, not on the spelling.

The resolved addresses are returned so that a later fetch can connect to exactly them (pinning
defeats DNS rebinding); anything that fetches must call ``validate_external_url`` again at that
time.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from marketplace import limits

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UnsafeUrl(ValueError):
    """The URL may not be used as an external source; the message says why."""


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    infos: list[Any] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress) -> str | None:  # noqa: PLR0911 -- one reason per address class
    """Why ``ip`` is not a public unicast address, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped IPv6 address"
        if ip in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = refusal(inner)
            return f"an IPv6 address wrapping {reason}" if reason else None
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_private", "a private address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(ip, attribute):
            return reason
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if not ip.is_global:
        return "a non-public address"
    return None


def _resolve(host: str, port: int, resolver: Resolver) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"the host {host!r} does not resolve") from exc


def validate_external_url(url: str, resolver: Resolver = system_resolver) -> CheckedUrl:
    """Return the URL with its resolved public addresses, or raise UnsafeUrl."""
    if len(url) > limits.asset_url_length_max:
        raise UnsafeUrl(f"the URL is longer than {limits.asset_url_length_max} characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise UnsafeUrl("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise UnsafeUrl(f"the URL is malformed: {exc}") from exc
    if parts.scheme != "https":
        raise UnsafeUrl("external sources must use https://")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("the URL must not carry credentials; pass them out of band")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("the URL has no host")
    addresses = _resolve(host, port, resolver)
    if not addresses:
        raise UnsafeUrl(f"the host {host!r} does not resolve")
    for raw in addresses:
        try:
            ip = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError as exc:
            raise UnsafeUrl(f"the host {host!r} resolves to an unparsable address") from exc
        reason = refusal(ip)
        if reason is not None:
            raise UnsafeUrl(
                f"the host {host!r} resolves to {ip}, {reason}: external sources must be public"
            )
    return CheckedUrl(url=url, host=host, port=port, addresses=tuple(dict.fromkeys(addresses)))
