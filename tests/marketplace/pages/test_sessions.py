"""Signing in and out of the pages, their CSRF protection, and the language switch, over HTTP
(the browser journeys are in test_journeys_browser.py)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from starlette.responses import Response

from ledger.models import utc_now
from marketplace.identity.auth import SESSION_COOKIE
from marketplace.pages import security
from marketplace.pages.web import CSRF_HEADER, local_path
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, bearer, signup

EMAIL = "bea@buyer.test"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in(api: TestClient, email: str = EMAIL, password: str = PASSWORD) -> TestClient:
    form = api.get("/login")
    r = api.post(
        "/login",
        data={"email": email, "password": password, "next": "/", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return api


@pytest.fixture
def member(api: TestClient) -> dict[str, object]:
    return signup(api, EMAIL, "Bea Buying", ["buyer"])


def test_signing_in_sets_an_httponly_samesite_session_cookie_and_shows_who_is_signed_in(
    api: TestClient, member: dict[str, object]
) -> None:
    form = api.get("/login")
    r = api.post(
        "/login",
        data={
            "email": EMAIL,
            "password": PASSWORD,
            "next": "/catalog",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )

    assert r.status_code == 303
    assert r.headers["location"] == "/catalog"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the test exchange's public URL is http
    home = api.get("/").text
    assert EMAIL in home
    assert "Bea Buying" in home
    assert 'action="/logout"' in home


def test_a_wrong_password_shows_the_api_message_next_to_the_form(
    api: TestClient, member: dict[str, object]
) -> None:
    form = api.get("/login")
    r = api.post(
        "/login",
        data={"email": EMAIL, "password": "wrong", "csrf_token": csrf_of(form.text)},
    )

    assert r.status_code == 401
    assert "wrong email or password" in unescape(r.text)
    assert 'value="bea@buyer.test"' in r.text  # the email is kept, the password is not
    assert "Traceback" not in r.text
    assert api.cookies.get(SESSION_COOKIE) is None


def test_a_malformed_email_is_shown_next_to_its_field(api: TestClient) -> None:
    form = api.get("/login")
    r = api.post(
        "/login", data={"email": "not-an-email", "password": "x", "csrf_token": csrf_of(form.text)}
    )

    assert r.status_code == 400
    assert re.search(r'<p class="field-error" id="e-email">[^<]+</p>', r.text)
    assert 'aria-describedby="e-email"' in r.text


@pytest.mark.parametrize("token", ["", "forged"], ids=["missing", "forged"])
def test_a_form_post_without_a_valid_csrf_token_is_a_403_page(
    api: TestClient, member: dict[str, object], token: str
) -> None:
    api.get("/login")  # the browser holds a csrf cookie
    r = api.post(
        "/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )

    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "did not come from this site" in r.text
    assert api.cookies.get(SESSION_COOKIE) is None


def test_the_csrf_token_is_bound_to_the_session(api: TestClient, member: dict[str, object]) -> None:
    anonymous_token = csrf_of(api.get("/").text)
    sign_in(api)

    # The token of the anonymous page no longer signs a form of the signed-in session.
    r = api.post("/logout", data={"csrf_token": anonymous_token}, follow_redirects=False)
    assert r.status_code == 403
    assert EMAIL in api.get("/").text


def test_signing_out_revokes_the_token_and_clears_the_cookie(
    api: TestClient, member: dict[str, object]
) -> None:
    sign_in(api)
    token = api.cookies.get(SESSION_COOKIE)
    assert token is not None

    r = api.post("/logout", data={"csrf_token": csrf_of(api.get("/").text)}, follow_redirects=False)

    assert r.status_code == 303
    assert api.cookies.get(SESSION_COOKIE) is None
    assert api.get("/me", headers=bearer(token)).status_code == 401  # revoked, as by the API
    assert 'href="/login?next=%2F"' in api.get("/").text


def test_the_api_never_accepts_the_session_cookie(
    api: TestClient, member: dict[str, object]
) -> None:
    sign_in(api)

    r = api.get("/me")

    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"


def test_a_stale_session_cookie_is_an_anonymous_page(api: TestClient) -> None:
    api.cookies.set(SESSION_COOKIE, "dbt_not-a-real-token")

    r = api.get("/")

    assert r.status_code == 200
    assert 'href="/login?next=%2F"' in r.text


def test_sessions_are_secure_cookies_behind_https(page_runtime: Runtime) -> None:
    https = page_runtime.settings.model_copy(update={"public_url": "https://exchange.example"})
    response = Response()

    security.set_session_cookie(response, https, "dbt_x", utc_now(), utc_now())

    assert "Secure" in response.headers["set-cookie"]
    assert not security.secure_cookies(page_runtime.settings)


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("/catalog?q=1", "/catalog?q=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("catalog", "/"),
    ],
    ids=["local", "absolute", "scheme-relative", "backslash", "relative"],
)
def test_next_after_sign_in_stays_on_this_site(to: str, expected: str) -> None:
    assert local_path(to) == expected


def test_chinese_from_accept_language_and_the_switch_wins_over_it(api: TestClient) -> None:
    zh = api.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in zh.text
    assert "数据目录" in zh.text  # the header's "Catalog"
    assert "搜索数据目录" in zh.text

    r = api.post(
        "/lang",
        data={"lang": "en", "next": "/catalog", "csrf_token": csrf_of(zh.text)},
        headers={"Accept-Language": "zh-CN"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/catalog"
    en = api.get("/", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in en.text
    assert "Search the catalog" in en.text


def test_static_files_are_served_locally_and_unknown_ones_are_404(api: TestClient) -> None:
    css = api.get("/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert api.get("/static/htmx.min.js").headers["content-type"].startswith("text/javascript")
    assert api.get("/static/../settings.py").status_code == 404
    assert api.get("/static/nope.css").status_code == 404


def test_a_nul_in_a_form_field_is_a_400_page_not_a_500(api: TestClient) -> None:
    form = api.get("/login")
    fields = {"email": "a\0@b.test", "password": "x", "csrf_token": csrf_of(form.text)}
    r = api.post("/login", data=fields)

    assert r.status_code == 400
    assert "NUL" in r.text
    # The same fields as a multipart form, which page routes read too.
    multipart = api.post("/login", files={k: (None, v) for k, v in fields.items()})
    assert multipart.status_code == 400
    assert "NUL" in multipart.text
    # Its media type in another case is a form to Starlette too; with the token in the header
    # the guards once skipped it, FastAPI read the form first and the NUL guard met a 500.
    mixed_case = api.post(
        "/login",
        content=urlencode(fields),
        headers={
            "Content-Type": "Application/X-WWW-Form-Urlencoded",
            CSRF_HEADER: fields["csrf_token"],
        },
    )
    assert mixed_case.status_code == 400
    assert "NUL" in mixed_case.text
    fields["email"] = "nobody@b.test"
    clean = api.post(
        "/login",
        content=urlencode(fields),
        headers={
            "Content-Type": "APPLICATION/X-WWW-FORM-URLENCODED",
            CSRF_HEADER: fields["csrf_token"],
        },
    )
    assert clean.status_code == 401  # read as the form it is: a wrong password, said on the page
