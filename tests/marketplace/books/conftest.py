"""Books fixtures: organisations on the test database, and money in their accounts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.books.models import AccountKind, TransferCode
from marketplace.books.service.accounts import Leg, account, post
from marketplace.identity.models import Organization
from marketplace.identity.signing import ZERO_ADDRESS
from tests.marketplace.assets import conftest as assets
from tests.marketplace.assets.helpers import Party, party, verify


def new_org(session: Session, name: str) -> int:
    org = Organization(name=name, name_key=name.casefold())
    session.add(org)
    session.flush()
    assert org.id is not None
    return org.id


def fund(session: Session, org_id: int, amount_minor: int, transfer_id: str) -> None:
    """A deposit (clearing → the organisation's available), straight through the postings."""
    clearing = account(session, AccountKind.clearing, "CNY")
    available = account(session, AccountKind.available, "CNY", org_id)
    post(
        session,
        [Leg(transfer_id, clearing, available, amount_minor, TransferCode.deposit)],
        kind="payment.deposited",
        subject=f"org:{org_id}",
        actor=ZERO_ADDRESS,
        payload={"organization_id": org_id},
    )


def withdraw(session: Session, org_id: int, amount_minor: int, transfer_id: str) -> None:
    """A withdrawal (the organisation's available → clearing), straight through the postings."""
    clearing = account(session, AccountKind.clearing, "CNY")
    available = account(session, AccountKind.available, "CNY", org_id)
    post(
        session,
        [Leg(transfer_id, available, clearing, amount_minor, TransferCode.withdrawal)],
        kind="payment.withdrawn",
        subject=f"org:{org_id}",
        actor=ZERO_ADDRESS,
        payload={"organization_id": org_id},
    )


@pytest.fixture
def orgs(session: Session) -> Callable[[str], int]:
    def make(name: str) -> int:
        org_id = new_org(session, name)
        session.commit()
        return org_id

    return make


# --- HTTP -----------------------------------------------------------------------------------

blob_dir = assets.blob_dir
asset_runtime = assets.asset_runtime
api = assets.api
ops = assets.ops


@pytest.fixture
def payer(api: TestClient, ops: Party) -> Party:
    who = party(api, "carol@buyer.test", "Carol Analytics", ["buyer"])
    verify(api, ops, who)
    return who


@pytest.fixture
def other(api: TestClient, ops: Party) -> Party:
    who = party(api, "dave@other.test", "Dave Research", ["buyer"])
    verify(api, ops, who)
    return who
