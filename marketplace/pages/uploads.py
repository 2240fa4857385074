"""Page routes whose body is a file (the supplier's asset upload, a party's evidence file): sent
by the page's script as the raw request body with the ``X-CSRF-Token`` header, never as a form
(which the CSRF check would parse whole, and which the upload refuses). They live under the API's
``/upload/`` prefix, whose bodies stream: exempt from the body limit, the JSON checks and the NUL
guard, and counted as uploads in flight. A refusal is JSON (``error``, ``message``) for the
script to show next to the file field."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from starlette.responses import JSONResponse, Response

from marketplace.errors import DatabourseError
from marketplace.pages import i18n
from marketplace.pages.web import CSRF_HEADER, PageRoute, locale_of

_FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")


def raw_upload_route(refusal: str) -> type[PageRoute]:
    """A page route class that refuses, with ``refusal`` (a catalogue message id, marked with
    ``N_``) in the reader's language, a body sent as a form or without the header."""

    class UploadRoute(PageRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def upload_handler(request: Request) -> Response:
                content_type = request.headers.get("content-type", "").lower()
                if CSRF_HEADER not in request.headers or content_type.startswith(_FORM_TYPES):
                    message = i18n.translations(locale_of(request)).gettext(refusal)
                    return refused("bad_upload", message, 400)
                return await handler(request)

            return upload_handler

    return UploadRoute


def refused(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def refused_by(exc: DatabourseError) -> Response:
    """A domain refusal (4xx) as the script reads it; a 5xx is raised again for the error page."""
    if exc.status >= 500:
        raise exc
    return refused(exc.code, exc.message, exc.status, exc.headers)
