"""A typed wrapper around the LedgerAnchor contract, a local transaction signer, and deployment.

Every request to the node goes through :class:`Rpc`, which holds the connection's lock (eth-tester
is not thread-safe) and translates failures at the boundary: a revert becomes
:class:`AnchorRejected` with the custom error's name and decoded arguments, an unreachable node
:class:`ChainUnavailable`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.logs import DISCARD

from ledger.chain.artifact import ContractArtifact, ledger_anchor_artifact
from ledger.chain.base import (
    AnchoredBatch,
    AnchorRejected,
    ChainError,
    ChainUnavailable,
    SignedAnchor,
    TxRejected,
    TxStatus,
)

# Explicit gas for every transaction (never estimated per call). One anchor measures about
# 77k gas (94k for the very first, which also creates the counters slot); deploying 816k.
ANCHOR_GAS_LIMIT = 150_000
ROLE_GAS_LIMIT = 100_000
TRANSFER_GAS_LIMIT = 21_000
DEPLOY_GAS_LIMIT = 1_500_000
PRIORITY_FEE_WEI = 1_000_000_000  # 1 gwei tip; max fee = 2 x latest base fee + tip
# A replacement (same nonce) must raise both fees by a node's price bump: geth 10 %, others
# up to 12.5 %. Each replacement raises them by 1/8, rounded up.
REPLACEMENT_BUMP_DIVISOR = 8
TX_WAIT_S_MAX = 120.0
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def decode_revert(data: bytes, artifact: ContractArtifact | None = None) -> AnchorRejected:
    """Name and arguments of the error that ``data`` (a revert's return data) encodes."""
    errors = (artifact or ledger_anchor_artifact()).errors_by_selector
    if len(data) < 4:
        return AnchorRejected("Reverted", (data,) if data else ())
    known = errors.get(data[:4])
    if known is None:
        return AnchorRejected("UnknownError", (data,))
    name, types = known
    try:
        values = abi_decode(types, data[4:])
    except DecodingError:
        return AnchorRejected(name, (data,))
    args = tuple(
        to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
    )
    return AnchorRejected(name, args)


def _revert_data(exc: ContractLogicError) -> bytes:
    data = exc.data
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."} or {"message": ...}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


class Rpc:
    """One node connection: ``with rpc.guard():`` around every request."""

    def __init__(self, w3: Web3, lock: threading.RLock) -> None:
        self.w3 = w3
        self.lock = lock

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        with self.lock:
            try:
                yield
            except ContractLogicError as exc:
                raise decode_revert(_revert_data(exc)) from exc
            except (OSError, ProviderConnectionError, TimeExhausted) as exc:
                # requests' exceptions derive from OSError (IOError).
                raise ChainUnavailable(f"chain node unreachable: {exc}") from exc

    def raw_request(self, method: str, params: list[Any]) -> Any:
        """A JSON-RPC call outside web3's typed API (test-only powers use it)."""
        with self.guard():
            response = self.w3.provider.make_request(cast(Any, method), params)
        if "error" in response:
            raise ChainError(f"{method}: {response['error']}")
        return response.get("result")


class Signer:
    """Signs transactions locally with one key: a transaction's hash is known before it is
    sent. Gas is always explicit; fees are EIP-1559, from the latest block's base fee."""

    def __init__(self, rpc: Rpc, private_key: str, chain_id: int) -> None:
        self._rpc = rpc
        self._account = Account.from_key(private_key)
        self._chain_id = chain_id
        self.address: str = self._account.address

    def sign(self, to: str | None, data: bytes, gas: int, *, value_wei: int = 0) -> SignedAnchor:
        assert gas > 0
        eth = self._rpc.w3.eth
        with self._rpc.guard():
            nonce = eth.get_transaction_count(cast(Any, self.address), "pending")
        base_fee = self._base_fee()
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self._chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": 2 * base_fee + PRIORITY_FEE_WEI,
            "maxPriorityFeePerGas": PRIORITY_FEE_WEI,
            "value": value_wei,
            "data": data,
        }
        if to is not None:
            tx["to"] = to
        return self._sign(tx)

    def sign_replacement(self, raw: bytes) -> SignedAnchor:
        """Re-sign the type-2 transaction ``raw`` with its nonce, gas, destination and data, and
        both fees raised by 1/8 (rounded up); the max fee also covers today's 2 x base fee."""
        old = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        assert old["type"] == 2, old
        assert old["chainId"] == self._chain_id, old
        tip = _bumped(int(old["maxPriorityFeePerGas"]))
        max_fee = max(_bumped(int(old["maxFeePerGas"])), 2 * self._base_fee() + tip)
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self._chain_id,
            "nonce": int(old["nonce"]),
            "gas": int(old["gas"]),
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
            "value": int(old["value"]),
            "data": bytes(old["data"]),
        }
        if old.get("to"):
            tx["to"] = to_checksum_address(bytes(old["to"]))
        return self._sign(tx)

    def _base_fee(self) -> int:
        with self._rpc.guard():
            return int(self._rpc.w3.eth.get_block("latest").get("baseFeePerGas", 0))

    def _sign(self, tx: dict[str, Any]) -> SignedAnchor:
        signed = self._account.sign_transaction(tx)
        return SignedAnchor(
            tx_hash=bytes(signed.hash), raw=bytes(signed.raw_transaction), nonce=int(tx["nonce"])
        )


def _bumped(fee_wei: int) -> int:
    """``fee_wei`` raised by 1/8 (12.5 %), rounded up, and by at least 1 wei."""
    return fee_wei + max(-(-fee_wei // REPLACEMENT_BUMP_DIVISOR), 1)


def send_raw(rpc: Rpc, raw: bytes) -> bytes:
    """Broadcast a signed transaction; return its hash. A transaction the node already knows
    ("already known", "nonce too low" for this very hash) is not an error."""
    tx_hash = keccak(raw)
    try:
        with rpc.guard():
            rpc.w3.eth.send_raw_transaction(raw)
    except Web3RPCError as exc:
        if is_known(rpc, tx_hash):
            return tx_hash
        message = exc.rpc_response.get("error", {}) if exc.rpc_response else exc
        raise TxRejected(f"node rejected transaction 0x{tx_hash.hex()}: {message}") from exc
    return tx_hash


def is_known(rpc: Rpc, tx_hash: bytes) -> bool:
    try:
        with rpc.guard():
            rpc.w3.eth.get_transaction(HexBytes(tx_hash))
    except TransactionNotFound:
        return False
    return True


def tx_status(rpc: Rpc, tx_hash: bytes) -> TxStatus | None:
    try:
        with rpc.guard():
            receipt = rpc.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    if receipt.get("blockNumber") is None:
        return None
    return TxStatus(
        tx_hash=tx_hash, block_number=int(receipt["blockNumber"]), succeeded=receipt["status"] == 1
    )


def wait_mined(rpc: Rpc, tx_hash: bytes, timeout_s: float = TX_WAIT_S_MAX) -> TxStatus:
    """Poll (outside the lock) until the transaction is in a block."""
    deadline = time.monotonic() + timeout_s
    delay_s = 0.02
    while True:
        status = tx_status(rpc, tx_hash)
        if status is not None:
            return status
        if time.monotonic() > deadline:
            raise ChainUnavailable(f"transaction 0x{tx_hash.hex()} not mined in {timeout_s}s")
        time.sleep(delay_s)
        delay_s = min(delay_s * 2, 1.0)


class LedgerAnchorContract:
    """One method per contract function. Views return Python values; transactions need a
    :class:`Signer`, are simulated first (so a revert raises :class:`AnchorRejected` with the
    decoded custom error), then signed, sent with explicit gas, and awaited."""

    def __init__(self, rpc: Rpc, address: str, signer: Signer | None = None) -> None:
        self._rpc = rpc
        self._signer = signer
        self.address = to_checksum_address(address)
        self._contract = rpc.w3.eth.contract(
            address=self.address, abi=cast(Any, ledger_anchor_artifact().abi)
        )
        self._caller = signer.address if signer is not None else ZERO_ADDRESS

    # Views

    def _call(self, fn: str, *args: Any) -> Any:
        try:
            with self._rpc.guard():
                return self._contract.functions[fn](*args).call({"from": self._caller})
        except BadFunctionCallOutput as exc:
            raise ChainError(f"no LedgerAnchor contract at {self.address} on this chain") from exc

    def recorder_role(self) -> bytes:
        return bytes(self._call("RECORDER_ROLE"))

    def default_admin_role(self) -> bytes:
        return bytes(self._call("DEFAULT_ADMIN_ROLE"))

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self._call("hasRole", role, to_checksum_address(account)))

    def get_role_admin(self, role: bytes) -> bytes:
        return bytes(self._call("getRoleAdmin", role))

    def supports_interface(self, interface_id: bytes) -> bool:
        return bool(self._call("supportsInterface", interface_id))

    def last_anchored_seq(self) -> int:
        return int(self._call("lastAnchoredSeq"))

    def batch_count(self) -> int:
        return int(self._call("batchCount"))

    def batch(self, batch_id: int) -> AnchoredBatch:
        """Raises AnchorRejected("UnknownBatch", (batch_id,)) when there is no such batch."""
        root, first_seq, last_seq = self._call("batch", batch_id)
        return AnchoredBatch(batch_id, bytes(root), int(first_seq), int(last_seq))

    def verify(self, batch_id: int, seq: int, entry_hash: bytes, proof: list[bytes]) -> bool:
        return bool(self._call("verify", batch_id, seq, entry_hash, proof))

    def anchored_in(self, tx_hash: bytes) -> list[AnchoredBatch]:
        """The ``Anchored`` events of one mined transaction (from its receipt: no log scan)."""
        with self._rpc.guard():
            receipt = self._rpc.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            events = self._contract.events.Anchored().process_receipt(receipt, errors=DISCARD)
        return [
            AnchoredBatch(
                int(e["args"]["batchId"]),
                bytes(e["args"]["root"]),
                int(e["args"]["firstSeq"]),
                int(e["args"]["lastSeq"]),
            )
            for e in events
        ]

    # Transactions

    def anchor_calldata(self, root: bytes, first_seq: int, last_seq: int) -> bytes:
        return bytes.fromhex(
            self._contract.encode_abi("anchor", [root, first_seq, last_seq]).removeprefix("0x")
        )

    def sign_anchor(self, root: bytes, first_seq: int, last_seq: int) -> SignedAnchor:
        """Sign ``anchor`` without simulating or sending it."""
        data = self.anchor_calldata(root, first_seq, last_seq)
        return self._require_signer().sign(self.address, data, ANCHOR_GAS_LIMIT)

    def sign_replacement(self, raw: bytes) -> SignedAnchor:
        """Re-sign a pending transaction with the same nonce and higher fees."""
        return self._require_signer().sign_replacement(raw)

    def check_anchor(self, root: bytes, first_seq: int, last_seq: int) -> None:
        """Simulate ``anchor`` from the signer: raises AnchorRejected if it would revert."""
        self._simulate(self.anchor_calldata(root, first_seq, last_seq))

    def anchor(self, root: bytes, first_seq: int, last_seq: int) -> TxStatus:
        return self._transact("anchor", [root, first_seq, last_seq], ANCHOR_GAS_LIMIT)

    def grant_role(self, role: bytes, account: str) -> TxStatus:
        return self._transact("grantRole", [role, to_checksum_address(account)], ROLE_GAS_LIMIT)

    def revoke_role(self, role: bytes, account: str) -> TxStatus:
        return self._transact("revokeRole", [role, to_checksum_address(account)], ROLE_GAS_LIMIT)

    def renounce_role(self, role: bytes, account: str) -> TxStatus:
        args = [role, to_checksum_address(account)]
        return self._transact("renounceRole", args, ROLE_GAS_LIMIT)

    def _require_signer(self) -> Signer:
        if self._signer is None:
            raise ChainError("read-only connection: no recorder key")
        return self._signer

    def _simulate(self, data: bytes) -> None:
        signer = self._require_signer()
        call: dict[str, Any] = {"from": signer.address, "to": self.address, "data": data}
        with self._rpc.guard():
            self._rpc.w3.eth.call(cast(Any, call))

    def _transact(self, fn: str, args: list[Any], gas: int) -> TxStatus:
        data = bytes.fromhex(self._contract.encode_abi(fn, args).removeprefix("0x"))
        self._simulate(data)
        signed = self._require_signer().sign(self.address, data, gas)
        send_raw(self._rpc, signed.raw)
        status = wait_mined(self._rpc, signed.tx_hash)
        if not status.succeeded:
            raise TxRejected(f"{fn} transaction 0x{signed.tx_hash.hex()} reverted when mined")
        return status


@dataclass(frozen=True)
class Deployment:
    """Where a LedgerAnchor was deployed: its checksummed address, the deploying transaction
    and its block (part of the trust anchor an exchange publishes)."""

    address: str
    tx_hash: str
    block_number: int


def deploy_ledger_anchor(
    rpc: Rpc, signer: Signer, *, admin: str | None = None, recorder: str | None = None
) -> Deployment:
    """Deploy a LedgerAnchor (``admin`` and ``recorder`` default to the signer)."""
    artifact = ledger_anchor_artifact()
    factory = rpc.w3.eth.contract(abi=cast(Any, artifact.abi), bytecode=artifact.bytecode)
    admin = to_checksum_address(admin or signer.address)
    recorder = to_checksum_address(recorder or signer.address)
    data = bytes.fromhex(factory.constructor(admin, recorder).data_in_transaction[2:])
    signed = signer.sign(None, data, DEPLOY_GAS_LIMIT)
    send_raw(rpc, signed.raw)
    status = wait_mined(rpc, signed.tx_hash)
    if not status.succeeded:
        raise TxRejected(f"LedgerAnchor deployment 0x{signed.tx_hash.hex()} failed")
    with rpc.guard():
        receipt = rpc.w3.eth.get_transaction_receipt(HexBytes(signed.tx_hash))
    address = receipt.get("contractAddress")
    assert address is not None
    return Deployment(
        to_checksum_address(address), "0x" + signed.tx_hash.hex(), status.block_number
    )


def created_by(rpc: Rpc, tx_hash: bytes) -> Deployment | None:
    """The contract transaction ``tx_hash`` created, and its block; None when the transaction
    is unknown, not mined, failed or created nothing."""
    try:
        with rpc.guard():
            receipt = rpc.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    address = receipt.get("contractAddress")
    if not address or receipt.get("blockNumber") is None or receipt.get("status") != 1:
        return None
    return Deployment(to_checksum_address(address), "0x" + tx_hash.hex(), receipt["blockNumber"])


def find_deployment(rpc: Rpc, address: str) -> Deployment | None:
    """Find the transaction that created the contract at ``address``: bisect the first block
    whose state holds its code (needs the node's historical state, as anvil and the in-process
    EVM keep), then look for the creating transaction in that block. None when the code was
    created otherwise (by another contract), the address holds no code, or the node refuses a
    historical query (pruned state)."""
    address = to_checksum_address(address)
    try:
        with rpc.guard():
            low, high = 0, int(rpc.w3.eth.block_number)
            if not rpc.w3.eth.get_code(address, high):
                return None
            while low < high:  # invariant: the code exists at ``high``
                middle = (low + high) // 2
                if rpc.w3.eth.get_code(address, middle):
                    high = middle
                else:
                    low = middle + 1
            return _created_in(rpc, address, high)
    except Web3RPCError:
        return None


def _created_in(rpc: Rpc, address: str, block_number: int) -> Deployment | None:
    block = rpc.w3.eth.get_block(block_number, full_transactions=True)
    for tx in block["transactions"]:
        if isinstance(tx, bytes) or tx.get("to"):  # a creation has no "to" ("" on eth-tester)
            continue
        receipt = rpc.w3.eth.get_transaction_receipt(tx["hash"])
        created = receipt.get("contractAddress")
        if created is not None and to_checksum_address(created) == address:
            return Deployment(address, "0x" + bytes(tx["hash"]).hex(), block_number)
    return None
