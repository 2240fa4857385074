"""How the node connection reads a JSON-RPC error: the node's own failures (internal error,
resource unavailable, limit exceeded) mean the chain is unavailable for now; any other error is
an answer about the request and stays what it is."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import Web3RPCError
from web3.providers.base import BaseProvider

from ledger.chain.base import ChainUnavailable
from ledger.chain.rpc import Rpc, send_raw


class _Failing(BaseProvider):
    """A node that answers every request with JSON-RPC error ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    def make_request(self, method: Any, params: Any) -> Any:
        return {"jsonrpc": "2.0", "id": 1, "error": {"code": self.code, "message": "failed"}}


def _rpc(code: int) -> Rpc:
    return Rpc(Web3(_Failing(code)), threading.RLock())


@pytest.mark.parametrize("code", [-32603, -32002, -32005])
def test_a_node_failure_is_the_chain_unavailable(code: int) -> None:
    rpc = _rpc(code)
    with pytest.raises(ChainUnavailable, match="chain node failed"), rpc.guard():
        rpc.w3.eth.get_block_number()


@pytest.mark.parametrize("code", [-32000, -32602])
def test_another_error_is_an_answer_about_the_request(code: int) -> None:
    rpc = _rpc(code)
    with pytest.raises(Web3RPCError), rpc.guard():
        rpc.w3.eth.get_block_number()


def test_a_send_the_node_fails_is_retried_later_not_signed_afresh() -> None:
    with pytest.raises(ChainUnavailable):
        send_raw(_rpc(-32603), b"\x02")
