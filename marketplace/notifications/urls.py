"""Which webhook URLs the exchange will POST to (pure; DNS through an injected resolver).

The rules are the assets' SSRF rules (``marketplace.assets.urls``): ``https://``, no
credentials, every resolved address public. For development and tests only, a setting also
admits ``http://`` or ``https://`` URLs whose host resolves only to loopback addresses.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from marketplace import limits
from marketplace.assets.urls import (
    CheckedUrl,
    Resolver,
    UnsafeUrl,
    system_resolver,
    validate_external_url,
)

__all__ = ["CheckedUrl", "Resolver", "UnsafeUrl", "check_webhook_url", "system_resolver"]


def check_webhook_url(
    url: str, *, allow_loopback: bool, resolver: Resolver = system_resolver
) -> CheckedUrl:
    """The URL with the addresses to connect to, or ``UnsafeUrl`` saying why not."""
    if len(url) > limits.webhook_url_length_max:
        raise UnsafeUrl(f"the URL is longer than {limits.webhook_url_length_max} characters")
    try:
        return validate_external_url(url, resolver)
    except UnsafeUrl:
        if not allow_loopback:
            raise
        loopback = _loopback(url, resolver)
        if loopback is None:
            raise
        return loopback


def _loopback(url: str, resolver: Resolver) -> CheckedUrl | None:
    """The URL when its host resolves only to loopback addresses (http or https, no
    credentials); None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = parts.hostname
    plain = not any(c.isspace() or ord(c) < 0x20 for c in url)
    usable = parts.scheme in ("http", "https") and parts.username is None and plain
    if not usable or not host:
        return None
    addresses = _addresses(host, port, resolver)
    if not addresses or not all(_is_loopback(a) for a in addresses):
        return None
    return CheckedUrl(url=url, host=host, port=port, addresses=tuple(dict.fromkeys(addresses)))


def _addresses(host: str, port: int, resolver: Resolver) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return resolver(host, port)
    except (OSError, UnicodeError):
        return []


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
