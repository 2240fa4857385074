"""Opening the anchor chain for the service: lazily, remembering the contract per chain id.

``ChainHandle.get()`` connects on first use (and again after a failed attempt), so a chain that
is down at start-up never stops the service; callers get ``ChainUnavailable`` until it answers.

For ``http(s)://`` chains without a configured address, the contract this database deployed is
remembered in ``anchor_contract`` keyed by chain id: deployed on first use, reused after. The
``eth-tester://`` backend remembers its own contract inside its state directory.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.chain.base import ChainError, ChainUnavailable
from ledger.chain.deployment import Deployment
from ledger.chain.web3_chain import Web3AnchorChain
from ledger.models import AnchorContract

log = logging.getLogger(__name__)


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _rpc_chain_id(url: str) -> int:
    import requests
    from web3 import HTTPProvider, Web3

    with requests.Session() as session:  # closed here, not left in web3's per-thread cache
        provider = HTTPProvider(
            url, request_kwargs={"timeout": 5}, session=session, exception_retry_configuration=None
        )
        try:
            return int(Web3(provider).eth.chain_id)
        except Exception as exc:  # noqa: BLE001 -- any failure to answer means unreachable
            raise ChainUnavailable(f"{url}: {type(exc).__name__}") from None


def connect_anchor_chain(
    engine: Engine, url: str, *, recorder_key: str, contract_address: str | None
) -> Web3AnchorChain:
    """Connect the recorder to the anchor contract on ``url`` (deploying it on first use)."""
    from ledger.chain import connect

    if contract_address is not None or not _is_http(url):
        return connect(url, recorder_key=recorder_key, contract_address=contract_address)
    chain_id = _rpc_chain_id(url)
    known = _remembered(engine, url, chain_id, recorder_key)
    if known is not None:
        return known
    chain = connect(url, recorder_key=recorder_key, contract_address=None)
    log.info(
        "deployed LedgerAnchor at %s on chain %d",
        chain.contract_address,
        chain.chain_id,
        extra={"fields": {"chain_id": chain.chain_id, "contract": chain.contract_address}},
    )
    deployed = chain.known_deployment
    assert deployed is not None
    values = {
        "chain_id": chain.chain_id,
        "address": chain.contract_address,
        "deploy_tx_hash": deployed.tx_hash,
        "deploy_block_number": deployed.block_number,
    }
    with Session(engine) as s:
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        s.execute(insert(AnchorContract).values(values).on_conflict_do_nothing())
        s.commit()
        stored = s.get(AnchorContract, chain.chain_id)
    assert stored is not None
    if stored.address != chain.contract_address:  # another process deployed first: use its
        chain.close()
        return connect(url, recorder_key=recorder_key, contract_address=stored.address)
    return chain


def _remembered(
    engine: Engine, url: str, chain_id: int, recorder_key: str | None
) -> Web3AnchorChain | None:
    """A connection to the contract this database remembers for ``chain_id``, if any."""
    from ledger.chain import connect

    with Session(engine) as s:
        known = s.get(AnchorContract, chain_id)
    if known is None:
        return None
    chain = connect(url, recorder_key=recorder_key, contract_address=known.address)
    if known.deploy_tx_hash is not None and known.deploy_block_number is not None:
        chain.known_deployment = Deployment(
            known.address, known.deploy_tx_hash, known.deploy_block_number
        )
    return chain


def open_read_only(engine: Engine, url: str, contract_address: str | None) -> Web3AnchorChain:
    """A read-only connection to the exchange's contract: ``contract_address``, else the one
    the chain directory (``eth-tester://``) or this database (``http(s)://``) remembers.
    Raises ``ChainError`` when none is known yet (nothing anchored, nothing deployed)."""
    from ledger.chain import connect

    if contract_address is not None or not _is_http(url):
        return connect(url, recorder_key=None, contract_address=contract_address)
    chain = _remembered(engine, url, _rpc_chain_id(url), None)
    if chain is None:
        raise ChainError(f"no LedgerAnchor is known on {url} yet: run the service once")
    return chain


class ChainHandle:
    """A lazily connected chain shared by the worker, health probes and endpoints."""

    def __init__(
        self, engine: Engine, url: str, *, recorder_key: str, contract_address: str | None
    ) -> None:
        self._engine = engine
        self.url = url
        self._recorder_key = recorder_key
        self._contract_address = contract_address
        self._chain: Web3AnchorChain | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def get(self) -> Web3AnchorChain:
        """The connected chain; raises ``ChainUnavailable`` while it cannot be reached."""
        with self._lock:
            if self._chain is None:
                try:
                    self._chain = connect_anchor_chain(
                        self._engine,
                        self.url,
                        recorder_key=self._recorder_key,
                        contract_address=self._contract_address,
                    )
                except ChainUnavailable as exc:
                    self.last_error = str(exc)
                    raise
                except ChainError as exc:
                    self.last_error = str(exc)
                    raise ChainUnavailable(f"cannot open the chain: {exc}") from exc
                self.last_error = None
            return self._chain

    @property
    def connected(self) -> Web3AnchorChain | None:
        return self._chain

    def close(self) -> None:
        with self._lock:
            if self._chain is not None:
                self._chain.close()
                self._chain = None
