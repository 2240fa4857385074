"""A withdrawal racing its organisation's suspension: the request passed the token check (one
unlocked read) while the suspension was under way, and its money used to be set aside for the
bank right after ``organization.suspended``. The suspension writes its entry under the journal
head and keeps it until it commits; a withdrawal takes the head first (``lock_and_check``) and
reads the suspension only then, so one sent meanwhile waits for the head and is refused 403
``organization_suspended``, moving nothing. Held as in
``tests/marketplace/listings/test_supplier_suspension_lock_order.py``, whose helpers this
uses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import withdraw
from tests.marketplace.identity.suspension_race import (
    refused_as_suspended_buyer,
    seqs,
    suspend,
    suspension_journaled,
)
from tests.marketplace.lock_race import race, waits_in
from tests.marketplace.orders.money import balance, fund

AMOUNT_MINOR = 2_500
#: The statement a withdrawal waits in, on PostgreSQL: the journal head's lock.
WITHDRAWAL_WAITS = "FROM journal_head WHERE journal_head.id = $1::INTEGER FOR NO KEY UPDATE"


def test_a_withdrawal_sent_while_its_organisation_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, payer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fund(asset_runtime.engine, payer.organization_id, 2 * AMOUNT_MINOR)
    suspension = suspension_journaled(monkeypatch)

    suspended, refused, waiting = race(
        asset_runtime,
        suspension,
        suspend(payer, ops),
        lambda http: withdraw(http, payer, AMOUNT_MINOR),
    )

    assert suspended.status_code == 200, suspended.text
    refused_as_suspended_buyer(refused, withdraw(api, payer, AMOUNT_MINOR))
    # PostgreSQL: the withdrawal had passed the token check and waited for the journal head.
    assert waits_in(waiting, WITHDRAWAL_WAITS), waiting
    assert seqs(api, "payment.withdrawal_requested") == []
    # Nothing left available for withdrawing.
    assert balance(asset_runtime.engine, payer.organization_id) == (2 * AMOUNT_MINOR, 0)
