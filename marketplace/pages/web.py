"""What every page route stands on: ``page_router()`` (routes of class ``PageRoute``) and the
``PageDep`` each route takes to render a template.

``PageRoute`` wraps every page route, its dependencies included, in one place:

- a form POST (any unsafe method) without a valid CSRF token (form field ``csrf_token`` or
  header ``X-CSRF-Token``) is refused with a 403 page before the route runs;
- a domain error of 4xx becomes the error page with its status and message (the API's message,
  never a stack trace); ``NotAuthenticated`` and friends (401) redirect to ``/login?next=``;
- a request that does not parse (FastAPI's validation) is a 400 page; anything unexpected is
  logged and answered with a plain 500 page.

Who is calling comes from ``identity.auth`` (``PageAccount``, ``PageOperator``, ...): the same
token check and role guards as the API, reading the session cookie as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from marketplace.deps import RuntimeDep
from marketplace.errors import DatabourseError
from marketplace.identity.auth import OptionalPageAccount, session_token
from marketplace.pages import i18n, security
from marketplace.pages.templating import environment
from marketplace.principal import Principal
from marketplace.runtime import Runtime
from marketplace.settings import Settings

log = logging.getLogger("databourse.pages")
_R = TypeVar("_R", bound=Response)
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"


class HTMLResponse(Response):
    media_type = "text/html"


def _html(content: str, status: int) -> HTMLResponse:
    # The other security headers come from SecurityHeadersMiddleware.
    return HTMLResponse(content, status, headers={"Content-Security-Policy": security.CSP})


@dataclass(frozen=True)
class FormErrors:
    """What a refused form shows: a message per field (``""`` for the form as a whole), taken
    from the domain error's message or from validation. ``values`` refill the fields."""

    messages: Mapping[str, str]
    values: Mapping[str, str]
    status: int = 400

    @classmethod
    def empty(cls, values: Mapping[str, str] | None = None) -> FormErrors:
        return cls({}, values or {}, 200)

    @classmethod
    def of(cls, exc: DatabourseError, values: Mapping[str, str], *, field: str = "") -> FormErrors:
        """A domain error's message, next to ``field`` (or above the form)."""
        if exc.status >= 500:
            raise exc
        return cls({field: exc.message}, values, exc.status)

    @classmethod
    def of_validation(cls, exc: ValidationError, values: Mapping[str, str]) -> FormErrors:
        """Pydantic's complaints, each next to the field it names."""
        messages: dict[str, str] = {}
        for item in exc.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            messages.setdefault(field, item["msg"])
        return cls(messages, values, 400)

    def __bool__(self) -> bool:
        return bool(self.messages)


def refused(
    session: Session,
    exc: DatabourseError | ValidationError,
    values: Mapping[str, str],
    *,
    field: str = "",
    raising: Collection[int] = (),
) -> FormErrors:
    """A refused form's errors, its changes rolled back first so that the page shows the rows
    as they were: pydantic's complaints next to their fields, or the domain error's message next
    to ``field``. A domain error whose status is in ``raising`` (or a 5xx) is raised again, for
    the error page."""
    session.rollback()
    if isinstance(exc, ValidationError):
        return FormErrors.of_validation(exc, values)
    if exc.status in raising:
        raise exc
    return FormErrors.of(exc, values, field=field)


@dataclass(frozen=True)
class Page:
    """One page request: its language, the signed-in viewer (or None), and its CSRF token."""

    request: Request
    runtime: Runtime
    locale: str
    viewer: Principal | None
    csrf_nonce: str
    csrf_nonce_is_new: bool

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def csrf_token(self) -> str:
        return security.csrf_token(self.settings, self.csrf_nonce, session_token_of(self.request))

    def text(self, message: str) -> str:
        """``message`` translated, for strings built in Python (flash notes, titles)."""
        return i18n.translations(self.locale).gettext(message)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """``template`` rendered in the request's language with the layout's context
        (``viewer``, ``csrf_token``, ``path``) and ``context``."""
        with i18n.use_locale(self.locale, self.settings.currency_unit):
            body = (
                environment()
                .get_template(template)
                .render(
                    viewer=self.viewer,
                    csrf_token=self.csrf_token,
                    csrf_field=security.CSRF_FIELD,
                    path=self.request.url.path,
                    path_qs=_path_qs(self.request),
                    **context,
                )
            )
        return self._keep_nonce(_html(body, status))

    def redirect(self, to: str) -> Response:
        """303 See Other to a local path (after a form POST)."""
        return self._keep_nonce(RedirectResponse(local_path(to), status_code=303))

    def _keep_nonce(self, response: _R) -> _R:
        if self.csrf_nonce_is_new:
            security.set_csrf_cookie(response, self.settings, self.csrf_nonce)
        return response


def session_token_of(request: Request) -> str | None:
    """The session token the request carries (unchecked: the CSRF token binds to it)."""
    try:
        return session_token(request)
    except DatabourseError:
        return None


def _path_qs(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def local_path(to: str | None, default: str = "/") -> str:
    """``to`` when it is a path on this site, else ``default`` (no open redirect)."""
    if not to:
        return default
    parts = urlsplit(to)
    if parts.scheme or parts.netloc or not to.startswith("/") or to.startswith("//"):
        return default
    if "\\" in to or any(ord(c) < 0x20 for c in to):
        return default
    return to


def locale_of(request: Request) -> str:
    return i18n.negotiate(
        request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
    )


def _nonce_of(request: Request) -> tuple[str, bool]:
    nonce = request.cookies.get(security.CSRF_COOKIE, "")
    if nonce and len(nonce) <= security.CSRF_COOKIE_LENGTH_MAX:
        return nonce, False
    return security.new_csrf_nonce(), True


def get_page(request: Request, runtime: RuntimeDep, viewer: OptionalPageAccount) -> Page:
    nonce, is_new = _nonce_of(request)
    return Page(request, runtime, locale_of(request), viewer, nonce, is_new)


PageDep = Annotated[Page, Depends(get_page)]


def _bare_page(request: Request) -> Page:
    """A page context for the error page when the route's own dependencies failed."""
    nonce, is_new = _nonce_of(request)
    return Page(request, request.app.state.runtime, locale_of(request), None, nonce, is_new)


def report_response(request: Request, template: str, view: object) -> Response:
    """A report page (quality, valuation) served by its domain's API route: ``template``
    rendered with ``view`` in the site's layout, in the reader's language, for the public (the
    route itself decides who may read it)."""
    return _bare_page(request).render(template, view=view)


def error_page(request: Request, status: int, message: str) -> Response:
    return _bare_page(request).render(
        "error.html", status=status, status_code=status, message=message
    )


_FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _is_form(request: Request) -> bool:
    """Whether Starlette reads the body as a form: its media type, in any case (``Multipart/
    Form-Data`` is a form too; a guard that missed it let FastAPI read the form first, and the
    NUL guard then found the body consumed: a 500)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media in _FORM_MEDIA_TYPES


async def _csrf_ok(request: Request) -> bool:
    settings: Settings = request.app.state.runtime.settings
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and _is_form(request):
        # Read (and cache) the body first: the app-wide NUL guard reads it again later.
        await request.body()
        value = (await request.form()).get(security.CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    return security.csrf_valid(
        settings,
        request.cookies.get(security.CSRF_COOKIE),
        session_token_of(request),
        submitted,
    )


async def _has_nul(request: Request) -> bool:
    """A form field (its name, its text, a file's name) holding U+0000, which PostgreSQL cannot
    store (JSON bodies are checked by the app-wide ``text_guard``), in a URL-encoded or a
    multipart form. A route that streams an upload refuses forms before this runs
    (``uploads.raw_upload_route``), and other page bodies are within the body limit."""
    if not _is_form(request):
        return False
    await request.body()  # cached for the NUL guard, which reads it again
    form = await request.form()
    return any(
        "\0" in key or "\0" in (v if isinstance(v, str) else (v.filename or ""))
        for key, v in form.multi_items()
    )


class PageRoute(APIRoute):
    """A page route: CSRF on unsafe methods, errors as pages (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            if request.method in _UNSAFE_METHODS and not await _csrf_ok(request):
                log.info("page form refused: missing or invalid CSRF token")
                return error_page(
                    request,
                    403,
                    i18n.translations(locale_of(request)).gettext(
                        "This form has expired or did not come from this site. "
                        "Reload the page and try again."
                    ),
                )
            if request.method in _UNSAFE_METHODS and await _has_nul(request):
                return error_page(
                    request,
                    400,
                    i18n.translations(locale_of(request)).gettext(
                        "Text in a form may not contain NUL characters."
                    ),
                )
            try:
                return await handler(request)
            except DatabourseError as exc:
                return _refused(request, exc)
            except (RequestValidationError, ValidationError):
                log.info("page request did not parse", exc_info=True)
                message = i18n.translations(locale_of(request)).gettext(
                    "The request was not understood. Check the form or the link and try again."
                )
                return error_page(request, 400, message)
            except Exception:
                log.exception("page failed")
                message = i18n.translations(locale_of(request)).gettext(
                    "Something went wrong on our side. Nothing was changed; try again later."
                )
                return error_page(request, 500, message)

        return page_handler


def _refused(request: Request, exc: DatabourseError) -> Response:
    if exc.status == 401:
        target = "/login?" + _next_query(_path_qs(request) if request.method == "GET" else "/")
        return RedirectResponse(target, status_code=303)
    if exc.status >= 500:
        log.error("page failed: %s %s", exc.code, exc.message)
        message = i18n.translations(locale_of(request)).gettext(
            "Something went wrong on our side. Nothing was changed; try again later."
        )
        return error_page(request, exc.status, message)
    log.info("page refused: %s %s", exc.code, exc.message)
    response = error_page(request, exc.status, exc.message)
    response.headers.update(exc.headers)
    return response


def _next_query(path: str) -> str:
    return urlencode({"next": path})


def page_router() -> APIRouter:
    """A router for page routes: not in the OpenAPI document, every route a ``PageRoute``."""
    return APIRouter(tags=["pages"], include_in_schema=False, route_class=PageRoute)
