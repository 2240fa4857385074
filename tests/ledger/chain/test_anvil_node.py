"""The anvil helper keeps its chain across stop() and start(), as the chain-outage tests need."""

from __future__ import annotations

import pytest

from ledger.chain import ChainUnavailable, connect
from tests.chain_fixtures import RECORDER_KEY, AnvilNode


def test_anvil_node_keeps_its_chain_across_stop_and_start(anvil_node: AnvilNode) -> None:
    chain = connect(anvil_node.url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        status = chain.contract.anchor(b"\x11" * 32, 1, 10)
        block = chain.block_number()
        anvil_node.stop()
        with pytest.raises(ChainUnavailable):
            chain.last_anchored_seq()
        anvil_node.start()
        assert chain.block_number() == block
        assert chain.last_anchored_seq() == 10
        assert chain.tx_status(status.tx_hash) == status
        chain.contract.anchor(b"\x12" * 32, 11, 12)  # the nonce carried over too
        assert chain.batch_count() == 2
    finally:
        chain.close()
