"""The root client: its session (URL, token) and how an unreachable exchange is reported."""

from __future__ import annotations

import pytest

from marketplace.client import Databourse, DatabourseClientError


def test_unreachable_server_raises_a_client_error() -> None:
    with (
        Databourse("http://127.0.0.1:9", timeout_s=2) as client,
        pytest.raises(DatabourseClientError) as caught,
    ):
        client.identity.me()
    assert caught.value.status == 0
    assert caught.value.code == "unreachable"


def test_every_sub_client_sends_the_token_the_session_holds(base_url: str) -> None:
    with Databourse(base_url + "/", token="not-a-token") as client:
        assert client.base_url == base_url
        assert client.token == "not-a-token"
        for call in (client.identity.me, lambda: client.assets.search(status="draft")):
            with pytest.raises(DatabourseClientError) as caught:
                call()
            assert caught.value.status == 401
