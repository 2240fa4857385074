"""EIP-712 typed-data signatures: the exchange's domain, signing with a private key (custodial
accounts, or a client signing locally), recovering and verifying a signer, and the nonce and
deadline helpers that keep a signed message from being replayed.

Pure functions: no database, no network. Consuming a nonce is a database matter
(``service.consume_signature_nonce``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak

from marketplace import limits

DOMAIN_NAME = "Databourse"
DOMAIN_VERSION = "1"
ZERO_ADDRESS = "0x" + "00" * 20
UINT256_MAX = 2**256 - 1

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class SignatureError(ValueError):
    """A signature, nonce or deadline is not acceptable; the message says which."""


def domain(chain_id: int, verifying_contract: str | None) -> dict[str, Any]:
    """The exchange's EIP-712 domain on ``chain_id``. Without a contract yet, the zero address
    stands in (every signature then still binds name, version and chain)."""
    if chain_id <= 0:
        raise SignatureError("an EIP-712 domain needs a positive chain id")
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": _contract(verifying_contract or ZERO_ADDRESS),
    }


@lru_cache(maxsize=64)
def _contract(contract: str) -> str:
    """The checksummed contract address (one per chain: checked and hashed once)."""
    if not is_address(contract):
        raise SignatureError(f"verifying contract {contract!r} is not an address")
    return str(to_checksum_address(contract))


def typed_data(
    *,
    primary_type: str,
    types: Mapping[str, list[dict[str, str]]],
    message: Mapping[str, Any],
    chain_id: int,
    verifying_contract: str | None,
) -> dict[str, Any]:
    """A full EIP-712 document (``types``, ``primaryType``, ``domain``, ``message``), the shape
    ``eth_signTypedData_v4`` takes."""
    if primary_type not in types:
        raise SignatureError(f"primary type {primary_type!r} is not among the types")
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, **{k: list(v) for k, v in types.items()}},
        "primaryType": primary_type,
        "domain": domain(chain_id, verifying_contract),
        "message": dict(message),
    }


def typed_data_in(
    domain_: Mapping[str, Any],
    primary_type: str,
    types: Mapping[str, list[dict[str, str]]],
    message: Mapping[str, Any],
) -> dict[str, Any]:
    """``typed_data`` under a domain already built (as a signing context carries it)."""
    return typed_data(
        primary_type=primary_type,
        types=types,
        message=message,
        chain_id=int(domain_["chainId"]),
        verifying_contract=str(domain_["verifyingContract"]),
    )


def wallet_json(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with bytes as 0x-hex, as wallets (``eth_signTypedData_v4``) take it."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return "0x" + value.hex()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    out: dict[str, Any] = plain(dict(document))
    return out


def sign(private_key: bytes, document: Mapping[str, Any]) -> str:
    """The 65-byte signature over ``document`` as 0x-hex."""
    signed = Account.sign_message(encode_typed_data(full_message=dict(document)), private_key)
    return "0x" + bytes(signed.signature).hex()


def digest(document: Mapping[str, Any]) -> str:
    """The EIP-712 digest of ``document`` as 0x-hex: keccak256(0x19 0x01 domainSeparator
    hashStruct(message)), the 32 bytes a signature covers. A public journal entry holds it in
    place of a private document; anyone given the document recomputes it (eth_account, ethers)."""
    signable = encode_typed_data(full_message=dict(document))
    return "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


def recover(document: Mapping[str, Any], signature: str) -> str:
    """The checksummed address that signed ``document``."""
    try:
        signable = encode_typed_data(full_message=dict(document))
        return str(Account.recover_message(signable, signature=signature))
    except Exception as exc:  # eth_account raises several types for malformed input
        raise SignatureError(f"the signature does not recover: {exc}") from exc


def verify(document: Mapping[str, Any], signature: str, expected_address: str) -> None:
    """Raises SignatureError unless ``expected_address`` signed ``document``."""
    signer = recover(document, signature)
    if signer.lower() != expected_address.lower():
        raise SignatureError(f"signed by {signer}, not by {to_checksum_address(expected_address)}")


def new_nonce() -> int:
    """A random uint256 nonce (unordered, as in Permit2): clients never need to know a
    counter, and the server keeps the ones it has seen."""
    return secrets.randbits(256)


def deadline_after(now_s: int, seconds: int) -> int:
    """A unix-time deadline ``seconds`` from ``now_s``."""
    if not 0 < seconds <= limits.signature_deadline_s_max:
        raise SignatureError(
            f"a deadline lies 1 to {limits.signature_deadline_s_max} seconds ahead"
        )
    return now_s + seconds


def check_deadline(deadline_s: int, now_s: int) -> None:
    """Raises SignatureError when the deadline has passed or lies implausibly far ahead."""
    if deadline_s < now_s:
        raise SignatureError(f"the signed message expired {now_s - deadline_s} s ago")
    if deadline_s > now_s + limits.signature_deadline_s_max:
        raise SignatureError(
            f"the deadline lies more than {limits.signature_deadline_s_max} s ahead"
        )


def check_nonce(nonce: int) -> None:
    if not 0 <= nonce <= UINT256_MAX:
        raise SignatureError("a nonce is a uint256")
