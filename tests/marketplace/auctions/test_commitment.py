"""The commitment is keccak256(abi.encode(uint64, address, uint256, bytes32)): recomputed here
by hand from the four 32-byte words, as an independent verifier would."""

from __future__ import annotations

import pytest

from ledger.canonical import keccak256
from marketplace.auctions import commitment

BIDDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SALT = "0x" + "ab" * 32


def _by_hand(auction_id: int, bidder: str, amount: int, salt: str) -> str:
    words = (
        auction_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(bidder[2:])
        + amount.to_bytes(32, "big")
        + bytes.fromhex(salt[2:])
    )
    return "0x" + keccak256(words).hex()


def test_the_commitment_is_keccak_of_the_four_abi_words() -> None:
    got = commitment.commitment(7, BIDDER, 12_345, SALT)
    assert got == _by_hand(7, BIDDER, 12_345, SALT)
    assert commitment.HASH_HEX.fullmatch(got)


def test_the_address_case_does_not_change_the_commitment() -> None:
    assert commitment.commitment(7, BIDDER.lower(), 1, SALT) == commitment.commitment(
        7, BIDDER, 1, SALT
    )


@pytest.mark.parametrize(
    ("auction_id", "bidder", "amount", "salt"),
    [
        (8, BIDDER, 12_345, SALT),
        (7, "0x" + "11" * 20, 12_345, SALT),
        (7, BIDDER, 12_346, SALT),
        (7, BIDDER, 12_345, "0x" + "ac" * 32),
    ],
    ids=["other auction", "other bidder", "other amount", "other salt"],
)
def test_changing_any_value_breaks_the_match(
    auction_id: int, bidder: str, amount: int, salt: str
) -> None:
    sealed = commitment.commitment(7, BIDDER, 12_345, SALT)
    assert commitment.matches(sealed, 7, BIDDER, 12_345, SALT)
    assert not commitment.matches(sealed, auction_id, bidder, amount, salt)


@pytest.mark.parametrize("salt", ["0x12", "ab" * 32, "0x" + "zz" * 32, "0x" + "ab" * 33])
def test_a_malformed_salt_never_matches(salt: str) -> None:
    sealed = commitment.commitment(7, BIDDER, 1, SALT)
    assert not commitment.matches(sealed, 7, BIDDER, 1, salt)
    with pytest.raises(ValueError, match="64 hex digits"):
        commitment.salt_bytes(salt)


def test_new_salts_are_32_random_bytes() -> None:
    salts = {commitment.new_salt() for _ in range(50)}
    assert len(salts) == 50
    assert all(len(commitment.salt_bytes(s)) == 32 for s in salts)
