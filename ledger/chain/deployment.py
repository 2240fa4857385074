"""Deploying a LedgerAnchor, and finding where an existing one was deployed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound, Web3RPCError

from ledger.chain.artifact import ledger_anchor_artifact
from ledger.chain.base import TxRejected
from ledger.chain.rpc import Rpc, send_raw, wait_mined
from ledger.chain.signer import DEPLOY_GAS_LIMIT, Signer


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
