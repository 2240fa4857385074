"""Signing in and out, the language switch, and the pages' static files.

- ``GET /login`` / ``POST /login``: email and password, checked by the same code as
  ``POST /auth/login``; the token it issues goes into the session cookie
  (``security.set_session_cookie``), then a 303 to ``next`` (a local path only).
- ``POST /logout``: revokes the session's token (as ``POST /auth/logout`` does) and clears the
  cookie.
- ``POST /lang``: sets the ``lang`` cookie and goes back to ``next``.
- ``GET /static/{name}``: the files under ``static/`` (a fixed list, read once).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from ledger.models import utc_now
from marketplace.deps import SessionDep
from marketplace.errors import DatabourseError
from marketplace.identity import service as identity_service
from marketplace.identity.auth import PageAccount
from marketplace.identity.endpoints import password_login
from marketplace.identity.schemas import LoginRequest
from marketplace.pages import i18n, security
from marketplace.pages.params import PageNotFound
from marketplace.pages.templating import STATIC
from marketplace.pages.web import FormErrors, PageDep, local_path, page_router

router = page_router()

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
STATIC_MAX_AGE_S = 31_536_000  # URLs carry the content hash (static_url), so a year is safe
NEXT_LENGTH_MAX = 2048
FormText = Annotated[str, Form(max_length=NEXT_LENGTH_MAX)]


@router.get("/login")
def login_form(page: PageDep, next: str = "/") -> Response:  # noqa: A002 -- the query's name
    if page.viewer is not None:
        return page.redirect(local_path(next))
    return page.render("login.html", next=local_path(next), errors=FormErrors.empty())


@router.post("/login")
def login(
    request: Request,
    page: PageDep,
    email: FormText,
    password: FormText,
    next: FormText = "/",  # noqa: A002 -- the form field's name
) -> Response:
    values = {"email": email}
    target = local_path(next)
    try:
        body = LoginRequest(email=email, password=password)
        token = password_login(page.runtime, body, request.client.host if request.client else None)
    except ValidationError as exc:
        errors = FormErrors.of_validation(exc, values)
        return page.render("login.html", status=400, next=target, errors=errors)
    except DatabourseError as exc:
        errors = FormErrors.of(exc, values)
        return page.render("login.html", status=errors.status, next=target, errors=errors)
    response = page.redirect(target)
    security.set_session_cookie(
        response, page.settings, token.access_token, token.expires_at, utc_now()
    )
    return response


@router.post("/logout")
def logout(principal: PageAccount, session: SessionDep, page: PageDep) -> Response:
    identity_service.logout(session, principal, utc_now())
    response = page.redirect("/")
    security.clear_session_cookie(response, page.settings)
    return response


@router.post("/lang")
def switch_language(
    page: PageDep,
    lang: Annotated[str, Form(max_length=16)],
    next: FormText = "/",  # noqa: A002 -- the form field's name
) -> Response:
    response = page.redirect(local_path(next))
    if lang in i18n.LOCALES:
        response.set_cookie(
            i18n.LANG_COOKIE,
            lang,
            max_age=STATIC_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=security.secure_cookies(page.settings),
            path="/",
        )
    return response


def _static_files() -> dict[str, bytes]:
    return {
        path.name: path.read_bytes()
        for path in sorted(STATIC.iterdir())
        if path.suffix in STATIC_TYPES
    }


_FILES = _static_files()


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    content = _FILES.get(name)
    if content is None:
        raise PageNotFound(f"there is no file {name!r}")
    return Response(
        content,
        media_type=STATIC_TYPES[name[name.rfind(".") :]],
        headers={"Cache-Control": f"public, max-age={STATIC_MAX_AGE_S}, immutable"},
    )
