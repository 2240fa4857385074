"""The connection every sub-client shares: the exchange's URL, the bearer token, one httpx
client, and the mapping of the exchange's error bodies to ``DatabourseClientError``."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

DEFAULT_TIMEOUT_S = 30.0
_M = TypeVar("_M", bound=BaseModel)


class DatabourseClientError(Exception):
    """The exchange answered with an error (or not at all: status 0, code ``unreachable``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Session:
    """One exchange, at most one bearer token (``token``, set by logging in)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self.http.close()

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token is not None else {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with the token; an error status becomes ``DatabourseClientError`` carrying the
        exchange's ``error`` code and ``message``."""
        headers = dict(kwargs.pop("headers", {})) | self.auth_headers()
        try:
            response = self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise DatabourseClientError(
                0, "unreachable", f"cannot reach {self.base_url}: {exc}"
            ) from exc
        if response.is_error:
            raise error_of(response)
        return response

    def call(self, model: type[_M], method: str, path: str, **kwargs: Any) -> _M:
        """``request`` and validate the JSON body as ``model``."""
        return model.model_validate(self.request(method, path, **kwargs).json())

    def call_list(self, model: type[_M], path: str) -> list[_M]:
        """GET a JSON array and validate each item as ``model``."""
        return [model.model_validate(row) for row in self.request("GET", path).json()]

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """``request`` and return the JSON object as it came (documents kept byte-faithful,
        such as receipts and certificates that ``bourse verify`` reads)."""
        body: dict[str, Any] = self.request(method, path, **kwargs).json()
        return body


def error_of(response: httpx.Response) -> DatabourseClientError:
    """The client error for an error response (its body read already)."""
    try:
        body = response.json()
        code, message = str(body["error"]), str(body["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", response.text[:500] or response.reason_phrase
    return DatabourseClientError(response.status_code, code, message)
