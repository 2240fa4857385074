"""The in-process EVM (``eth-tester://``): py-evm behind web3.py's EthereumTesterProvider, with
its state kept in one SQLite file so that it survives restarts.

Why a persistent key-value store rather than replaying recorded transactions: py-evm keeps all
of a chain (headers, blocks, receipts, the state trie) in one key-value database, so backing
that database with SQLite keeps the chain exactly as it was (same block hashes, timestamps,
receipts, contract address) at the cost of one small class. Replay would re-mine every block at
start-up (slower with every anchor) and give new timestamps, hence new block hashes.

Each JSON-RPC request runs in one SQLite transaction, so a crash never leaves half a block.
One process writes a chain directory at a time (an exclusive ``flock``); inside a process,
every connection to the same directory shares one chain and one lock, so a read-only
connection sees the blocks a writer mines. eth-tester is not thread-safe: callers hold
``TesterNode.lock`` around every request.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from eth.abc import AtomicWriteBatchAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB
from eth.db.chain import ChainDB
from eth.exceptions import CanonicalHeadNotFound
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.main import (
    _get_vm_for_block_number,
    get_default_account_keys,
    get_default_account_state,
    get_default_genesis_params,
)
from eth_tester.backends.pyevm.serializers import (
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionNotFound
from eth_tester.exceptions import ValidationError as TesterValidationError
from eth_typing import BlockNumber, Hash32
from eth_utils.currency import to_wei
from eth_utils.exceptions import ValidationError as EthValidationError
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse

from ledger.chain.base import ChainError, ChainInUse

TESTER_CHAIN_ID = 131277322940537  # eth-tester's (and web3's eth-tester endpoints') chain id
GENESIS_BALANCE_WEI = to_wei(1_000_000, "ether")
GENESIS_DEV_ACCOUNTS = 10  # eth-tester's default accounts: private keys 1..10
DB_FILE = "chain.sqlite"
LOCK_FILE = "chain.lock"


class SqliteAtomicDB(BaseAtomicDB):
    """py-evm's atomic key-value database over one SQLite table.

    Writes outside a transaction commit at once; :meth:`transaction` (re-entrant) and
    :meth:`atomic_batch` group writes into one SQLite transaction.
    """

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        self._depth = 0

    def __getitem__(self, key: bytes) -> bytes:
        row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return cast(bytes, row[0])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def __delitem__(self, key: bytes) -> None:
        if self._conn.execute("DELETE FROM kv WHERE k = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def _exists(self, key: bytes) -> bool:
        return self._conn.execute("SELECT 1 FROM kv WHERE k = ?", (key,)).fetchone() is not None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (re-entrant)."""
        if self._depth == 0:
            self._conn.execute("BEGIN")  # deferred: readers in other processes never block
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        with (
            self.transaction(),
            AtomicDBWriteBatch._commit_unless_raises(self) as batch,
        ):
            yield batch

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return None if row is None else cast(str, row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self._conn.close()


class _TesterChain(MiningChain):
    """eth-tester's own chain class (``setup_tester_chain``), pinned here so that a stored
    chain keeps its rules when eth-tester changes its defaults."""

    chain_id = TESTER_CHAIN_ID
    vm_configuration = ((BlockNumber(0), PragueVM),)

    def create_header_from_parent(self, parent_header: Any, **header_params: Any) -> Any:
        # Keep the gas limit constant, as eth-tester does.
        return super().create_header_from_parent(
            parent_header, **{**header_params, "gas_limit": parent_header.gas_limit}
        )

    def get_transaction_builder(self) -> Any:
        return super().get_vm().get_transaction_builder()


class Reverted(Exception):  # carries the revert data, like a node's error.data
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.data = data


class PersistentPyEVMBackend(PyEVMBackend):  # type: ignore[misc]  # eth-tester is untyped
    """PyEVMBackend over a given database: opens the chain stored there, or creates its
    genesis (eth-tester's default accounts plus ``funded`` addresses). Also looks
    transactions up through py-evm's index instead of scanning every block, and reports
    reverts with their data."""

    def __init__(self, db: SqliteAtomicDB, funded: Mapping[bytes, int]) -> None:
        # PyEVMBackend.__init__ would build a fresh in-memory chain: set up ours instead.
        self.account_keys = get_default_account_keys(quantity=GENESIS_DEV_ACCOUNTS)
        try:
            ChainDB(db).get_canonical_head()
        except CanonicalHeadNotFound:
            genesis_state = {
                key.public_key.to_canonical_address(): get_default_account_state()
                for key in self.account_keys
            }
            for address, balance in funded.items():
                genesis_state[address] = get_default_account_state({"balance": balance})
            with db.transaction():
                self.chain = _TesterChain.from_genesis(
                    db, get_default_genesis_params(), genesis_state
                )
        else:
            self.chain = _TesterChain(db)

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("a persistent chain is never reset")

    def _locate(self, transaction_hash: bytes) -> tuple[Any, Any, int]:
        pending = self.chain.get_block()
        for index, tx in enumerate(pending.transactions):
            if tx.hash == transaction_hash:
                return pending, tx, index
        try:
            number, index = self.chain.chaindb.get_transaction_index(Hash32(transaction_hash))
        except EVMTransactionNotFound:
            number = None
        if number is not None and number < pending.number:
            block = self.chain.get_canonical_block_by_number(number)
            if index < len(block.transactions) and block.transactions[index].hash == (
                transaction_hash
            ):
                return block, block.transactions[index], index
        raise TransactionNotFound(f"No transaction found for hash 0x{transaction_hash.hex()}")

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, tx, index = self._locate(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        return serialize_transaction(block, tx, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, tx, index = self._locate(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(
            block, receipts, tx, index, is_pending, self.chain.get_vm()
        )

    def call(self, transaction: Any, block_number: Any = "latest") -> Any:
        """eth_call as a node runs it: the caller needs no balance for gas (eth-tester charges
        1 gwei/gas), and a revert keeps its raw data (eth-tester flattens it into a string)."""
        tx = dict(transaction)
        tx.setdefault("gas", self._max_available_gas())
        unsigned = self._get_normalized_and_unsigned_evm_transaction(tx, block_number)
        spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
        state = _get_vm_for_block_number(self.chain, block_number).state
        snapshot = state.snapshot()
        try:
            fee_wei = getattr(unsigned, "max_fee_per_gas", None) or unsigned.gas_price
            cost_wei = unsigned.gas * fee_wei + unsigned.value
            if state.get_balance(spoofed.sender) < cost_wei:
                state.set_balance(spoofed.sender, cost_wei)
            computation = state.apply_transaction(spoofed)
        finally:
            state.revert(snapshot)
        if computation.is_error:
            raise Reverted(bytes(computation.output))
        return computation.output


class TesterProvider(EthereumTesterProvider):
    """EthereumTesterProvider whose errors look like a node's: a revert becomes
    ``{"code": 3, "message": "execution reverted", "data": "0x..."}`` (so web3 raises
    ContractCustomError with the data), a rejected transaction a ``-32000`` error; and every
    request runs in one database transaction."""

    def __init__(self, tester: EthereumTester, db: SqliteAtomicDB) -> None:
        super().__init__(tester)
        self._db = db

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        error: dict[str, Any]
        try:
            with self._db.transaction():
                return super().make_request(method, params)
        except Reverted as exc:
            error = {"code": 3, "message": "execution reverted", "data": "0x" + exc.data.hex()}
        except (EthValidationError, TesterValidationError) as exc:
            error = {"code": -32000, "message": str(exc)}
        return cast(RPCResponse, {"jsonrpc": "2.0", "id": 0, "error": error})


@dataclass
class TesterNode:
    """One in-process chain, shared by every connection to the same directory."""

    key: str
    db: SqliteAtomicDB
    tester: EthereumTester
    backend: PersistentPyEVMBackend
    lock: threading.RLock = field(default_factory=threading.RLock)
    lock_file: Any = None  # the open lock file while this process writes the directory
    users: int = 0

    def provider(self) -> TesterProvider:
        return TesterProvider(self.tester, self.db)

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            return self.db.get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        with self.lock, self.db.transaction():
            self.db.set_meta(key, value)


_nodes: dict[str, TesterNode] = {}
_nodes_lock = threading.Lock()


def open_node(path: str, funded: Mapping[bytes, int], *, create: bool) -> TesterNode:
    """The chain stored under directory ``path`` (``""``: a new throwaway in-memory chain).

    ``create=False`` refuses to create a chain that does not exist yet (read-only use).
    """
    with _nodes_lock:
        if path:
            directory = Path(path).resolve()
            key = str(directory)
            node = _nodes.get(key)
            if node is None:
                node = _open_directory(key, directory, funded, create=create)
                _nodes[key] = node
            elif create and node.lock_file is None:
                node.lock_file = _lock_directory(directory)
        else:
            db = SqliteAtomicDB(":memory:")
            backend = PersistentPyEVMBackend(db, funded)
            key = f"memory:{id(backend)}"
            node = TesterNode(key, db, EthereumTester(backend), backend)
            _nodes[key] = node
        node.users += 1
        return node


def _open_directory(
    key: str, directory: Path, funded: Mapping[bytes, int], *, create: bool
) -> TesterNode:
    db_path = directory / DB_FILE
    if not db_path.exists() and not create:
        raise ChainError(f"no eth-tester chain at {directory}")
    directory.mkdir(parents=True, exist_ok=True)
    lock_file = _lock_directory(directory) if create else None
    db = SqliteAtomicDB(str(db_path))
    backend = PersistentPyEVMBackend(db, funded)
    return TesterNode(key, db, EthereumTester(backend), backend, lock_file=lock_file)


def _lock_directory(directory: Path) -> Any:
    """Take the directory's exclusive write lock (released when the file is closed)."""
    lock_file = (directory / LOCK_FILE).open("a")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        raise ChainInUse(
            f"the eth-tester chain at {directory} is in use by another process; "
            "use a JSON-RPC node (http(s)://) to share a chain between processes"
        ) from None
    return lock_file


def release_node(node: TesterNode) -> None:
    with _nodes_lock:
        node.users -= 1
        if node.users > 0:
            return
        _nodes.pop(node.key, None)
        with node.lock:
            node.db.close()
            if node.lock_file is not None:
                node.lock_file.close()  # releases the flock
