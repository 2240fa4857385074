"""The Databourse client against a live server (uvicorn on 127.0.0.1, a free port)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.client import Databourse, DatabourseClientError
from marketplace.identity.schemas import MeResponse, TokenResponse
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.identity.helpers import (
    CHAIN_ID,
    OPERATOR_EMAIL,
    PASSWORD,
    make_operator,
    new_wallet,
    serve,
)


@pytest.fixture
def id_runtime(engine: Engine) -> Runtime:
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    runtime.chain_id = CHAIN_ID
    return runtime


@pytest.fixture
def base_url(id_runtime: Runtime) -> Iterator[str]:
    with serve(create_app(runtime=id_runtime)) as url:
        yield url


@pytest.fixture
def bourse(base_url: str) -> Iterator[Databourse]:
    with Databourse(base_url) as client:
        yield client


def test_signup_login_me_and_logout(bourse: Databourse) -> None:
    issued = bourse.identity.signup(
        "ada@example.org", PASSWORD, organization="Ada Data Ltd", roles=["supplier", "buyer"]
    )
    assert isinstance(issued, TokenResponse)
    assert issued.account.custodial is True
    bourse.token = None
    bourse.identity.login("ada@example.org", PASSWORD)
    me = bourse.identity.me()
    assert isinstance(me, MeResponse)
    assert me.account.address == issued.account.address
    assert me.organization.roles == ["buyer", "supplier"]
    assert me.can_list is False
    token = bourse.token
    bourse.identity.logout()
    assert bourse.token is None
    bourse.token = token
    with pytest.raises(DatabourseClientError) as caught:
        bourse.identity.me()
    assert caught.value.status == 401
    assert caught.value.code == "token_revoked"


def test_wrong_password_raises_with_the_servers_code_and_message(bourse: Databourse) -> None:
    bourse.identity.signup(
        "ada@example.org", PASSWORD, organization="Ada Data Ltd", roles=["buyer"]
    )
    with pytest.raises(DatabourseClientError) as caught:
        bourse.identity.login("ada@example.org", "definitely wrong")
    assert caught.value.status == 401
    assert caught.value.code == "invalid_credentials"
    assert caught.value.message == "wrong email or password"


def test_siwe_signup_and_login_with_a_local_key(bourse: Databourse) -> None:
    wallet = new_wallet()
    assert bourse.identity.siwe_nonce().chain_id == CHAIN_ID
    first = bourse.identity.login_siwe(wallet.key, organization="Keyholders", roles=["supplier"])
    assert first.signed_up is True
    again = bourse.identity.login_siwe(wallet.key)
    assert again.signed_up is False
    me = bourse.identity.me()
    assert me.account.address == wallet.address
    assert me.account.custodial is False


def test_siwe_for_an_unknown_address_without_organisation_asks_to_sign_up(
    bourse: Databourse,
) -> None:
    with pytest.raises(DatabourseClientError) as caught:
        bourse.identity.login_siwe(new_wallet().key)
    assert caught.value.code == "signup_required"


def test_operator_verifies_through_the_client(bourse: Databourse, id_runtime: Runtime) -> None:
    make_operator(id_runtime)
    bourse.identity.signup(
        "ada@example.org", PASSWORD, organization="Ada Data Ltd", roles=["supplier"]
    )
    org_id = bourse.identity.me().organization.id
    with pytest.raises(DatabourseClientError) as caught:
        bourse.identity.verify_organization(org_id)
    assert caught.value.status == 403
    ops = Databourse(bourse.base_url)
    with ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        assert ops.identity.organizations(verified=False).total == 1
        assert ops.identity.verify_organization(org_id).verified is True
        assert "valuer" in ops.identity.grant_role(org_id, "valuer").roles
    assert bourse.identity.me().can_list is True


def test_unreachable_server_raises_a_client_error() -> None:
    with (
        Databourse("http://127.0.0.1:9", timeout_s=2) as client,
        pytest.raises(DatabourseClientError) as caught,
    ):
        client.identity.me()
    assert caught.value.code == "unreachable"


def test_a_download_whose_hash_differs_from_the_declared_one_is_refused(tmp_path: Path) -> None:
    served = b"a,b\n1,2\n"
    declared = hashlib.sha256(b"a,b\n1,3\n").hexdigest()  # what the exchange registered

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=served, headers={"X-Content-SHA256": declared})

    client = Databourse("http://exchange.test", transport=httpx.MockTransport(handler))
    target = tmp_path / "copy.csv"
    with pytest.raises(DatabourseClientError) as caught:
        client.assets.download_revision(1, 1, target)
    assert caught.value.code == "content_mismatch"
    assert not target.exists()
    assert not list(tmp_path.iterdir())  # no partial file either


def test_a_download_matching_the_declared_hash_is_kept(tmp_path: Path) -> None:
    served = b"a,b\n1,2\n"

    def handler(_: httpx.Request) -> httpx.Response:
        sha = hashlib.sha256(served).hexdigest()
        return httpx.Response(200, content=served, headers={"X-Content-SHA256": sha})

    client = Databourse("http://exchange.test", transport=httpx.MockTransport(handler))
    target = tmp_path / "copy.csv"
    assert client.assets.download_revision(1, 1, target) == len(served)
    assert target.read_bytes() == served
