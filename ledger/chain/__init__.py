"""Chain clients for the ledger: one interface (:class:`AnchorChain`), two backends chosen by
URL (see :func:`connect`)."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from eth_account import Account
from web3 import HTTPProvider, Web3

from ledger.chain.base import (
    AnchorChain,
    AnchoredBatch,
    AnchorRejected,
    ChainError,
    ChainInUse,
    ChainUnavailable,
    SignedAnchor,
    TxRejected,
    TxStatus,
)
from ledger.chain.contract import (
    LedgerAnchorContract,
    Rpc,
    Signer,
    decode_revert,
    deploy_ledger_anchor,
)
from ledger.chain.web3_chain import Web3AnchorChain

__all__ = [
    "AnchorChain",
    "AnchorRejected",
    "AnchoredBatch",
    "ChainError",
    "ChainInUse",
    "ChainUnavailable",
    "LedgerAnchorContract",
    "SignedAnchor",
    "TxRejected",
    "TxStatus",
    "Web3AnchorChain",
    "connect",
    "decode_revert",
    "deploy_ledger_anchor",
]

HTTP_TIMEOUT_S = 5.0
ETH_TESTER_SCHEME = "eth-tester://"
_CONTRACT_META_KEY = "ledger_anchor_address"


def connect(url: str, *, recorder_key: str | None, contract_address: str | None) -> Web3AnchorChain:
    """Connect to the chain at ``url`` and the LedgerAnchor contract on it.

    - ``eth-tester://PATH``: the in-process EVM, its state kept under directory PATH across
      restarts (``eth-tester://`` alone: a throwaway in-memory chain). The recorder address is
      funded at genesis. When ``contract_address`` is None, the contract this directory's
      chain deployed before is reused, else a new one is deployed and remembered.
    - ``http://`` / ``https://``: any EVM JSON-RPC node, with a short request timeout.
      When ``contract_address`` is None a new contract is deployed: persist
      ``.contract_address`` and pass it next time.

    The deployer gets the admin and RECORDER roles. ``recorder_key=None`` gives a read-only
    connection (what a receipt verifier uses) and then ``contract_address`` is required.
    """
    if recorder_key is None and contract_address is None:
        raise ChainError("a read-only chain connection needs the contract address")
    if url.startswith(ETH_TESTER_SCHEME):
        return _connect_tester(url[len(ETH_TESTER_SCHEME) :], recorder_key, contract_address)
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https"):
        return _connect_http(url, recorder_key, contract_address)
    raise ChainError(f"unsupported chain URL {url!r}: use eth-tester://PATH or http(s)://")


def _connect_http(
    url: str, recorder_key: str | None, contract_address: str | None
) -> Web3AnchorChain:
    provider = HTTPProvider(
        url, request_kwargs={"timeout": HTTP_TIMEOUT_S}, exception_retry_configuration=None
    )
    rpc = Rpc(Web3(provider), threading.RLock())
    with rpc.guard():
        chain_id = int(rpc.w3.eth.chain_id)
    signer = None if recorder_key is None else Signer(rpc, recorder_key, chain_id)
    if contract_address is None:
        assert signer is not None
        contract_address = deploy_ledger_anchor(rpc, signer)
    contract = LedgerAnchorContract(rpc, contract_address, signer)
    return Web3AnchorChain(rpc, contract, signer, chain_id, backend="json-rpc")


def _connect_tester(
    path: str, recorder_key: str | None, contract_address: str | None
) -> Web3AnchorChain:
    from ledger.chain import tester

    funded: dict[bytes, int] = {}
    if recorder_key is not None:
        address = Account.from_key(recorder_key).address
        funded[bytes.fromhex(address[2:])] = tester.GENESIS_BALANCE_WEI
    node = tester.open_node(path, funded, create=recorder_key is not None)
    try:
        rpc = Rpc(Web3(node.provider()), node.lock)
        chain_id = tester.TESTER_CHAIN_ID
        signer = None if recorder_key is None else Signer(rpc, recorder_key, chain_id)
        if contract_address is None:
            contract_address = node.get_meta(_CONTRACT_META_KEY)
        if contract_address is None:
            assert signer is not None
            contract_address = deploy_ledger_anchor(rpc, signer)
            node.set_meta(_CONTRACT_META_KEY, contract_address)
        contract = LedgerAnchorContract(rpc, contract_address, signer)
    except BaseException:
        tester.release_node(node)
        raise
    return Web3AnchorChain(
        rpc,
        contract,
        signer,
        chain_id,
        backend="eth-tester",
        on_close=lambda: tester.release_node(node),
    )
