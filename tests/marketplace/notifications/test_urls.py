"""Which webhook URLs pass: the assets' SSRF rules, plus loopback when development allows."""

from __future__ import annotations

import pytest

from marketplace.notifications.urls import Resolver, UnsafeUrl, check_webhook_url


def _resolver(answers: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        del port
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    return resolve


DNS = _resolver(
    {
        "hooks.example.com": ["93.184.216.34"],
        "mixed.example.com": ["93.184.216.34", "10.1.2.3"],
        "localhost": ["127.0.0.1", "::1"],
        "rebind.example.com": ["127.0.0.1"],
    }
)


def test_a_public_https_url_passes_with_its_addresses() -> None:
    checked = check_webhook_url("https://hooks.example.com/in", allow_loopback=False, resolver=DNS)
    assert checked.addresses == ("93.184.216.34",)
    assert (checked.host, checked.port) == ("hooks.example.com", 443)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.com/in", "https"),
        ("https://mixed.example.com/in", "private"),
        ("https://localhost/in", "loopback"),
        ("https://rebind.example.com/in", "loopback"),
        ("https://[::ffff:127.0.0.1]/in", "loopback"),
        ("https://nowhere.example.com/in", "does not resolve"),
    ],
)
def test_unsafe_urls_are_refused_without_the_development_setting(url: str, says: str) -> None:
    with pytest.raises(UnsafeUrl, match=says):
        check_webhook_url(url, allow_loopback=False, resolver=DNS)


def test_loopback_is_allowed_over_http_or_https_only_when_set() -> None:
    for url in ("http://127.0.0.1:8080/in", "https://localhost/in", "http://[::1]/in"):
        assert check_webhook_url(url, allow_loopback=True, resolver=DNS).url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # public but plain http
        "http://mixed.example.com/in",
        "ftp://127.0.0.1/in",
        "http://user:pw@127.0.0.1/in",
        "http://10.0.0.1/in",
        "http://127.0.0.1/ in",
    ],
)
def test_the_development_setting_admits_nothing_but_loopback(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_webhook_url(url, allow_loopback=True, resolver=DNS)
