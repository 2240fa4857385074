"""The exchange's trust anchor, and pinning verifiers to it.

Anyone can deploy a LedgerAnchor from the same bytecode on the same chain and anchor a forged
root there, so a receipt that is consistent with *some* contract proves nothing until that
contract is known to be the exchange's. The exchange publishes its trust anchor (chain id,
contract, deployment transaction and block, recorder address) at
``/.well-known/databourse.json``; an auditor saves it once and pins every check to it::

    {"version": 1, "chain_id": 31337, "contract": "0x…",
     "deployment": {"tx_hash": "0x…", "block_number": 1}, "recorder": "0x…"}

``deployment`` is null when the chain cannot tell (the contract was created by another
contract, or the node keeps no historical state); ``recorder`` is null when unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import is_hex_address, to_checksum_address

from ledger.canonical import from_hex, to_hex
from ledger.limits import trust_document_bytes_max

if TYPE_CHECKING:  # importing the chain imports web3: only where a chain is used
    from ledger.chain.web3_chain import Web3AnchorChain

__all__ = [
    "Pin",
    "TrustAnchor",
    "TrustInvalid",
    "check_trust_on_chain",
    "parse_trust",
    "shown_address",
    "trust_anchor_of",
]

TRUST_VERSION = 1


def shown_address(address: str) -> str:
    """An address as EIP-55 spells it, so that a message never shows one address two ways
    (a receipt may carry it in lower case); anything that is not an address, as it is."""
    return str(to_checksum_address(address)) if is_hex_address(address) else address


class TrustInvalid(Exception):
    """The trust document is not one; the message is one line saying why."""


@dataclass(frozen=True)
class Pin:
    """What a verifier trusts: the exchange's contract, and its chain id when known."""

    contract: str  # checksummed
    chain_id: int | None = None

    @classmethod
    def of(cls, contract: object, chain_id: int | None = None) -> Pin:
        """A pin on ``contract``; raises ``TrustInvalid`` when it is not an address."""
        if not isinstance(contract, str) or not is_hex_address(contract):
            raise TrustInvalid(f"{str(contract)[:80]!r} is not a 0x-prefixed 20-byte address")
        return cls(to_checksum_address(contract), chain_id)

    def names(self, contract: str) -> bool:
        return contract.lower() == self.contract.lower()


@dataclass(frozen=True)
class TrustAnchor:
    chain_id: int
    contract: str
    deployment_tx_hash: str | None
    deployment_block_number: int | None
    recorder: str | None

    @property
    def pin(self) -> Pin:
        return Pin(self.contract, self.chain_id)

    def document(self) -> dict[str, Any]:
        deployment = (
            None
            if self.deployment_tx_hash is None
            else {"tx_hash": self.deployment_tx_hash, "block_number": self.deployment_block_number}
        )
        return {
            "version": TRUST_VERSION,
            "chain_id": self.chain_id,
            "contract": self.contract,
            "deployment": deployment,
            "recorder": self.recorder,
        }


def trust_anchor_of(chain: Web3AnchorChain, recorder: str | None) -> TrustAnchor:
    """The trust anchor of the contract ``chain`` is connected to. Raises ``ChainError``."""
    deployment = chain.deployment()
    return TrustAnchor(
        chain_id=chain.chain_id,
        contract=chain.contract_address,
        deployment_tx_hash=None if deployment is None else deployment.tx_hash,
        deployment_block_number=None if deployment is None else deployment.block_number,
        recorder=None if recorder is None else to_checksum_address(recorder),
    )


def check_trust_on_chain(anchor: TrustAnchor, chain: Web3AnchorChain) -> str:
    """Check a trust anchor against the chain ``chain`` is connected to (read-only, on
    ``anchor.contract``): its chain id, that its deployment transaction created the contract in
    that block, and that the recorder holds RECORDER_ROLE. Return what was checked (one line);
    raise ``TrustInvalid`` on the first disagreement and ``ChainError`` when it cannot read."""
    from ledger.chain.deployment import created_by

    if chain.chain_id != anchor.chain_id:
        raise TrustInvalid(f"the chain is chain id {chain.chain_id}, not {anchor.chain_id}")
    checked = []
    if anchor.deployment_tx_hash is not None:
        found = created_by(chain.rpc, from_hex(anchor.deployment_tx_hash, 32))
        if found is None or (found.address, found.block_number) != (
            anchor.contract,
            anchor.deployment_block_number,
        ):
            raise TrustInvalid(
                f"transaction {anchor.deployment_tx_hash} in block "
                f"{anchor.deployment_block_number} did not create {anchor.contract}"
            )
        checked.append(f"created in block {anchor.deployment_block_number} by that transaction")
    else:
        checked.append("has no deployment in the document (null), so its creation was not checked")
    if anchor.recorder is not None:
        contract = chain.contract
        if not contract.has_role(contract.recorder_role(), anchor.recorder):
            raise TrustInvalid(
                f"the recorder {anchor.recorder} does not hold RECORDER_ROLE on {anchor.contract}"
            )
        checked.append("the recorder holds RECORDER_ROLE")
    return f"checked on chain {chain.chain_id}: {anchor.contract} {'; '.join(checked)}"


def parse_trust(data: bytes | str) -> TrustAnchor:
    """Parse a trust document (what ``/.well-known/databourse.json`` serves). Unknown keys are
    ignored, so that the document may grow; ``chain_id`` and ``contract`` are required."""
    if len(data) > trust_document_bytes_max:
        raise TrustInvalid(f"trust document is larger than {trust_document_bytes_max} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise TrustInvalid(f"trust document is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise TrustInvalid("trust document must be a JSON object")
    if doc.get("version") != TRUST_VERSION:
        raise TrustInvalid(f"trust document version must be {TRUST_VERSION}")
    chain_id = doc.get("chain_id")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise TrustInvalid("trust document: chain_id must be a positive integer")
    contract = Pin.of(doc.get("contract"), chain_id).contract
    recorder = doc.get("recorder")
    if recorder is not None and not (isinstance(recorder, str) and is_hex_address(recorder)):
        raise TrustInvalid("trust document: recorder must be an address or null")
    tx_hash, block = _deployment(doc.get("deployment"))
    return TrustAnchor(
        chain_id=chain_id,
        contract=contract,
        deployment_tx_hash=tx_hash,
        deployment_block_number=block,
        recorder=None if recorder is None else to_checksum_address(recorder),
    )


def _deployment(value: Any) -> tuple[str | None, int | None]:
    if value is None:
        return None, None
    fields: dict[str, Any] = value if isinstance(value, dict) else {}
    tx_hash: Any = fields.get("tx_hash")
    block: Any = fields.get("block_number")
    try:
        tx_bytes = from_hex(tx_hash, 32)
    except ValueError:
        tx_bytes = None
    if tx_bytes is None or isinstance(block, bool) or not isinstance(block, int) or block < 0:
        raise TrustInvalid(
            "trust document: deployment must be null or {tx_hash: 0x + 64 hex, block_number}"
        )
    return to_hex(tx_bytes), block
