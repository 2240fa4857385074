"""The sealed bid's commitment (pure).

A bidder commits to an amount without showing it::

    commitment = keccak256(abi.encode(uint64 auction_id, address bidder,
                                      uint256 amount, bytes32 salt))

``abi.encode`` is Solidity's standard (not packed) ABI encoding: four 32-byte words, each value
left-padded with zeros (the address as 20 bytes in the low end of its word). ``bidder`` is the
EVM address of the account that commits, ``amount`` the bid in the currency's minor units, and
``salt`` 32 random bytes the bidder keeps secret until it reveals. Any keccak/ABI library
recomputes it, e.g. in Python ``eth_abi.encode(["uint64", "address", "uint256", "bytes32"],
[...])`` then keccak256, in Solidity ``keccak256(abi.encode(id, bidder, amount, salt))``, in
ethers ``AbiCoder.defaultAbiCoder().encode(...)`` then ``keccak256``.

Binding the auction and the bidder into the hash means a commitment copied from another bidder,
or from another auction, never matches a reveal by the copier.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address

from ledger.canonical import keccak256, to_hex

#: The ABI types of the four encoded values, in order.
ABI_TYPES: Final = ("uint64", "address", "uint256", "bytes32")
SALT_BYTES: Final = 32
HASH_HEX: Final = re.compile(r"0x[0-9a-f]{64}")


def new_salt() -> str:
    """A fresh 32-byte salt as 0x-prefixed lowercase hex."""
    return to_hex(secrets.token_bytes(SALT_BYTES))


def salt_bytes(salt: str) -> bytes:
    """The salt's 32 bytes; ValueError unless it is 0x and 64 hex digits."""
    if not HASH_HEX.fullmatch(salt.lower()):
        raise ValueError("the salt must be 0x followed by 64 hex digits (32 bytes)")
    return bytes.fromhex(salt[2:])


def commitment(auction_id: int, bidder: str, amount_minor: int, salt: str) -> str:
    """keccak256(abi.encode(uint64 auction_id, address bidder, uint256 amount, bytes32 salt)),
    as 0x-prefixed lowercase hex."""
    assert 0 <= auction_id < 2**64, auction_id
    assert 0 <= amount_minor < 2**256, amount_minor
    encoded = encode(
        list(ABI_TYPES),
        [auction_id, to_checksum_address(bidder), amount_minor, salt_bytes(salt)],
    )
    return to_hex(keccak256(encoded))


def matches(
    commitment_hex: str, auction_id: int, bidder: str, amount_minor: int, salt: str
) -> bool:
    """Whether (amount, salt) opens the commitment; False for a malformed salt."""
    try:
        return commitment(auction_id, bidder, amount_minor, salt) == commitment_hex.lower()
    except ValueError:
        return False


__all__ = ["ABI_TYPES", "HASH_HEX", "SALT_BYTES", "commitment", "matches", "new_salt", "salt_bytes"]
