"""A local transaction signer: a transaction's hash is known before it is sent."""

from __future__ import annotations

from typing import Any, cast

from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ledger.chain.base import SignedAnchor
from ledger.chain.rpc import Rpc

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
