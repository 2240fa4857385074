"""``bourse.identity`` against a real server: sign up, log in (password or SIWE), invite,
and the operator's organisation calls."""

from __future__ import annotations

import pytest

from marketplace.client import Databourse, DatabourseClientError
from marketplace.identity.schemas import MeResponse, TokenResponse
from tests.marketplace.identity.helpers import CHAIN_ID, PASSWORD, new_wallet


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


def test_an_invite_code_signs_a_colleague_up_into_the_same_organisation(
    bourse: Databourse, base_url: str
) -> None:
    bourse.identity.signup("ada@example.org", PASSWORD, organization="Ada Data", roles=["buyer"])
    org_id = bourse.identity.me().organization.id
    invite = bourse.identity.invite(membership_role="admin")
    assert invite.organization_id == org_id
    assert invite.membership_role == "admin"
    with Databourse(base_url) as colleague:
        colleague.identity.signup("bob@example.org", PASSWORD, invite_code=invite.code)
        me = colleague.identity.me()
    assert me.organization.id == org_id
    assert me.membership_role == "admin"


def test_operator_verifies_through_the_client(bourse: Databourse, ops: Databourse) -> None:
    bourse.identity.signup(
        "ada@example.org", PASSWORD, organization="Ada Data Ltd", roles=["supplier"]
    )
    org_id = bourse.identity.me().organization.id
    with pytest.raises(DatabourseClientError) as caught:
        bourse.identity.verify_organization(org_id)
    assert caught.value.status == 403
    waiting = ops.identity.organizations(verified=False)
    assert [o.id for o in waiting.items] == [org_id]
    assert waiting.total == 1
    assert ops.identity.verify_organization(org_id).verified is True
    assert "valuer" in ops.identity.grant_role(org_id, "valuer").roles
    assert ops.identity.organizations(verified=False).total == 0
    assert bourse.identity.me().can_list is True
