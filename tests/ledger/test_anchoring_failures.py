"""The anchoring worker when an anchor reverts or sits in the pool, on the in-process EVM and
anvil: the reason is reported and nothing is re-sent while it would revert; a stuck transaction
is replaced with higher fees."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ledger import limits
from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.canonical import from_hex
from ledger.chain import Web3AnchorChain
from ledger.chain.dev import DevChain
from ledger.chain.rpc import wait_mined
from ledger.errors import AnchorReverted
from ledger.models import AnchorBatch, BatchStatus
from tests.chain_fixtures import ANVIL_KEY_1
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import journal_n

RECORDER_ROLE = keccak(text="RECORDER_ROLE")
OUTSIDER = Account.from_key(ANVIL_KEY_1).address
CONFIG = AnchorConfig(batch_entries_max=10, batch_age_s=0, poll_s=0.01, resend_after_polls=2)


def _batches(engine: Engine) -> list[AnchorBatch]:
    with Session(engine) as s:
        return list(s.execute(select(AnchorBatch).order_by(AnchorBatch.id)).scalars())  # type: ignore[arg-type]


def _nonce(chain: Web3AnchorChain, address: str) -> int:
    with chain.rpc.guard():
        return int(chain.rpc.w3.eth.get_transaction_count(address, "latest"))  # type: ignore[arg-type]


def _fees(raw_tx: str) -> tuple[int, int]:
    tx = TypedTransaction.from_bytes(HexBytes(from_hex(raw_tx))).as_dict()
    return int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"])


def test_reverted_anchor_is_reported_not_resent_and_lands_once_the_role_is_granted(
    engine: Engine, anchor_chain: Web3AnchorChain, dev_chain: DevChain
) -> None:
    dev_chain.fund(OUTSIDER, 10**20)
    outsider = anchor_chain.as_signer(ANVIL_KEY_1)  # a funded key without RECORDER_ROLE
    journal_n(engine, 3)

    def broadcast_unchecked(point: str, batch: AnchorBatch) -> None:
        if point == "stored":  # as if sent before the role was revoked: mined, and reverts
            tx_hash = outsider.send_raw(from_hex(batch.raw_tx))
            assert not wait_mined(outsider.rpc, tx_hash, timeout_s=10).succeeded

    worker = AnchorWorker(engine, lambda: outsider, CONFIG, hook=broadcast_unchecked)
    with pytest.raises(AnchorReverted) as caught:
        worker.step(force_cut=True)
    (reverted,) = _batches(engine)
    assert f"anchor tx {reverted.prior_tx_hashes} reverted in block" in str(caught.value)
    assert caught.value.reason.startswith(f"AccessControlUnauthorizedAccount({OUTSIDER}, 0x")
    assert reverted.status == BatchStatus.pending

    nonce = _nonce(anchor_chain, OUTSIDER)
    with pytest.raises(AnchorReverted, match="would revert with AccessControlUnauthorized"):
        worker.step()
    assert _nonce(anchor_chain, OUTSIDER) == nonce  # nothing sent while it would revert
    assert anchor_chain.last_anchored_seq() == 0

    anchor_chain.contract.grant_role(RECORDER_ROLE, OUTSIDER)
    worker.run_until_anchored(timeout_s=30)
    (batch,) = _batches(engine)
    assert batch.status == BatchStatus.confirmed
    assert batch.tx_hash not in batch.prior_tx_hashes
    assert batch.prior_tx_hashes == reverted.prior_tx_hashes
    onchain = anchor_chain.batch(1)
    assert onchain is not None
    assert (onchain.first_seq, onchain.last_seq) == (1, 3)


def test_worker_backs_off_while_its_anchor_would_revert(engine: Engine) -> None:
    journal_n(engine, 3)
    chain = FakeChain()
    chain.check_anchor = _always_unauthorized  # type: ignore[method-assign]
    worker = AnchorWorker(engine, lambda: chain, CONFIG)
    worker.start()
    try:
        import time

        deadline = time.monotonic() + 10
        while worker.state.backoff_s < 1.0 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert worker.state.backoff_s >= 1.0  # 0.5 s, then doubling: no spinning
    assert worker.state.last_error is not None
    assert "AccessControlUnauthorizedAccount" in worker.state.last_error
    assert chain.sends == 0


def _always_unauthorized(root: bytes, first_seq: int, last_seq: int) -> None:
    from ledger.chain.base import AnchorRejected

    raise AnchorRejected("AccessControlUnauthorizedAccount", (OUTSIDER, RECORDER_ROLE))


def test_stuck_tx_is_replaced_with_the_same_nonce_and_higher_fees(
    engine: Engine, anchor_chain: Web3AnchorChain, dev_chain: DevChain
) -> None:
    journal_n(engine, 3)
    worker = AnchorWorker(engine, lambda: anchor_chain, CONFIG)
    dev_chain.set_automine(False)
    try:
        worker.step(force_cut=True)  # signed, sent, poll 1
        worker.step()  # poll 2
        (first,) = _batches(engine)
        worker.step()  # not mined after 2 polls: replaced
        (replaced,) = _batches(engine)
        dev_chain.mine()
    finally:
        dev_chain.set_automine(True)
    assert replaced.nonce == first.nonce
    assert replaced.tx_hash != first.tx_hash
    assert replaced.prior_tx_hashes == first.tx_hash
    (old_max, old_tip), (new_max, new_tip) = _fees(first.raw_tx), _fees(replaced.raw_tx)
    assert new_max * 8 >= old_max * 9
    assert new_tip * 8 >= old_tip * 9
    worker.run_until_anchored(timeout_s=30)
    (batch,) = _batches(engine)
    assert batch.status == BatchStatus.confirmed
    assert batch.tx_hash == replaced.tx_hash
    assert anchor_chain.batch_count() == 1


def test_an_earlier_signing_that_lands_after_its_replacement_counts(engine: Engine) -> None:
    journal_n(engine, 3)
    chain = FakeChain(automine=False)
    worker = AnchorWorker(engine, lambda: chain, CONFIG)
    worker.step(force_cut=True)
    worker.step()
    worker.step()
    (batch,) = _batches(engine)
    old = batch.prior_tx_hashes
    assert old
    chain.mempool = [from_hex(old)]  # the old signing wins the nonce
    chain.mine()
    worker.run_until_anchored(timeout_s=10)
    (batch,) = _batches(engine)
    assert batch.status == BatchStatus.confirmed
    assert batch.tx_hash == old
    assert len(chain.batches) == 1


def test_repricing_stops_after_the_replacement_limit(engine: Engine) -> None:
    journal_n(engine, 3)
    chain = FakeChain(automine=False)
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, poll_s=0.01, resend_after_polls=1)
    worker = AnchorWorker(engine, lambda: chain, config)
    worker.step(force_cut=True)
    for _ in range(2 * limits.anchor_replacements_max):
        worker.step()
    (batch,) = _batches(engine)
    assert len(batch.prior_tx_hashes.split(",")) == limits.anchor_replacements_max


def test_a_database_error_is_kept_in_one_line_without_its_sql(engine: Engine) -> None:
    """``last_error`` reaches the public /health: a database error's SQL and parameters, which
    its text carries on the lines after the first, stay in the log."""
    worker = AnchorWorker(engine, FakeChain, CONFIG)

    def fails() -> bool:
        raise OperationalError(
            "SELECT last_seq FROM journal_head WHERE id = ?", {"id": "param-xyz"},
            Exception("disk I/O error"),
        )  # fmt: skip

    worker.step = fails  # type: ignore[method-assign]
    worker.tick()
    assert worker.state.last_error == "OperationalError: (builtins.Exception) disk I/O error"
