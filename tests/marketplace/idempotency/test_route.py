"""``@idempotent`` finds the caller and the session among the endpoint's own arguments, so it
refuses, when the app is built, an endpoint that lacks one of them."""

from __future__ import annotations

import pytest

from marketplace.deps import SessionDep
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount, VerifiedBuyer


def test_an_endpoint_with_a_caller_and_a_session_is_taken() -> None:
    def pay(principal: VerifiedBuyer, session: SessionDep) -> None: ...

    assert callable(idempotent(pay))


def test_an_endpoint_without_a_caller_is_refused() -> None:
    def pay(session: SessionDep) -> None: ...

    with pytest.raises(AssertionError, match="@idempotent pay takes one Principal"):
        idempotent(pay)


def test_an_endpoint_without_a_session_is_refused() -> None:
    def pay(principal: CurrentAccount) -> None: ...

    with pytest.raises(AssertionError, match="@idempotent pay takes one Session"):
        idempotent(pay)


def test_an_endpoint_with_two_callers_is_refused() -> None:
    def pay(principal: CurrentAccount, other: VerifiedBuyer, session: SessionDep) -> None: ...

    with pytest.raises(AssertionError, match="@idempotent pay takes one Principal"):
        idempotent(pay)
