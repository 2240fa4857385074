"""Chain clients for the ledger: one interface (:class:`AnchorChain`), two backends chosen by
URL (see :func:`connect`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
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
from ledger.chain.contract import LedgerAnchorContract
from ledger.chain.deployment import Deployment, deploy_ledger_anchor
from ledger.chain.rpc import Rpc, decode_revert
from ledger.chain.signer import Signer
from ledger.chain.web3_chain import Web3AnchorChain

if TYPE_CHECKING:
    from ledger.chain.tester import TesterNode

__all__ = [
    "AnchorChain",
    "AnchorRejected",
    "AnchoredBatch",
    "ChainError",
    "ChainInUse",
    "ChainUnavailable",
    "Deployment",
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
_DEPLOY_TX_META_KEY = "ledger_anchor_deploy_tx"
_DEPLOY_BLOCK_META_KEY = "ledger_anchor_deploy_block"


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
    connection (what a receipt verifier uses); ``contract_address`` is then required, except on
    ``eth-tester://`` where the directory's remembered contract is used.
    """
    read_only = recorder_key is None
    if read_only and contract_address is None and not url.startswith(ETH_TESTER_SCHEME):
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
    # The connection's own HTTP session, closed with it: web3 would otherwise keep one per
    # thread in the provider's cache, whose pooled sockets nothing closes.
    session = requests.Session()
    provider = HTTPProvider(
        url,
        request_kwargs={"timeout": HTTP_TIMEOUT_S},
        session=session,
        exception_retry_configuration=None,
    )
    try:
        rpc = Rpc(Web3(provider), threading.RLock())
        with rpc.guard():
            chain_id = int(rpc.w3.eth.chain_id)
        signer = None if recorder_key is None else Signer(rpc, recorder_key, chain_id)
        deployment = None
        if contract_address is None:
            assert signer is not None
            deployment = deploy_ledger_anchor(rpc, signer)
            contract_address = deployment.address
        contract = LedgerAnchorContract(rpc, contract_address, signer)
    except BaseException:
        session.close()
        raise
    return Web3AnchorChain(
        rpc,
        contract,
        signer,
        chain_id,
        backend="json-rpc",
        on_close=session.close,
        deployment=deployment,
    )


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
            contract_address = _deploy_and_remember(node, rpc, signer)
        deployment = _recorded_deployment(node, contract_address)
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
        deployment=deployment,
    )


def _deploy_and_remember(node: TesterNode, rpc: Rpc, signer: Signer | None) -> str:
    if signer is None:
        raise ChainError(
            "a read-only connection needs the contract address: no LedgerAnchor has been "
            "deployed on this chain yet"
        )
    deployed = deploy_ledger_anchor(rpc, signer)
    node.set_meta(_CONTRACT_META_KEY, deployed.address)
    node.set_meta(_DEPLOY_TX_META_KEY, deployed.tx_hash)
    node.set_meta(_DEPLOY_BLOCK_META_KEY, str(deployed.block_number))
    return deployed.address


def _recorded_deployment(node: TesterNode, address: str) -> Deployment | None:
    """The deployment this chain directory recorded, when ``address`` is its contract."""
    tx_hash, block = node.get_meta(_DEPLOY_TX_META_KEY), node.get_meta(_DEPLOY_BLOCK_META_KEY)
    if tx_hash is None or block is None or node.get_meta(_CONTRACT_META_KEY) != address:
        return None
    return Deployment(address, tx_hash, int(block))
