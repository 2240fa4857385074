import pytest

from marketplace.assets.urls import UnsafeUrl, validate_external_url


def _resolves_to(*addresses: str):  # type: ignore[no-untyped-def]
    def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


def test_a_public_https_url_is_accepted_with_its_addresses() -> None:
    checked = validate_external_url(
        "https://data.example.org/feed.csv", _resolves_to("93.184.216.34", "2606:2800:220:1::1")
    )
    assert checked.host == "data.example.org"
    assert checked.port == 443
    assert checked.addresses == ("93.184.216.34", "2606:2800:220:1::1")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/",
        "https://[fc00::1]/",
        "https://224.0.0.1/",
        "https://240.0.0.1/",
        "https://0.0.0.0/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://[64:ff9b::a00:1]/",
        "https://[2002:7f00:1::]/",
        "https://100.64.0.1/",
        "https://localhost/",
        "https://2130706433/",
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match=r"must be public|does not resolve"):
        validate_external_url(url)


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.7"):
        validate_external_url("https://mixed.example/", _resolves_to("93.184.216.34", "10.0.0.7"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://data.example.org/", "https"),
        ("ftp://data.example.org/", "https"),
        ("https://user:pw@data.example.org/", "credentials"),
        ("https:///nohost", "no host"),
        ("https://data.example.org:99999/", "malformed"),
        ("https://data.example.org/a b", "whitespace"),
    ],
)
def test_malformed_or_unsafe_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeUrl, match=message):
        validate_external_url(url, _resolves_to("93.184.216.34"))


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError("nxdomain")

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        validate_external_url("https://nowhere.invalid/", failing)
