"""Decoding reverts into AnchorRejected(error_name, error_args), and connection failures."""

from __future__ import annotations

import socket

import pytest
from eth_abi import encode
from eth_utils import keccak

from ledger.chain import ChainError, ChainUnavailable, connect, decode_revert


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_custom_error_decodes_to_its_name_and_arguments() -> None:
    data = selector("AnchorNotContiguous(uint64,uint64)") + encode(["uint64", "uint64"], [5, 9])
    error = decode_revert(data)
    assert (error.error_name, error.error_args) == ("AnchorNotContiguous", (5, 9))


def test_access_control_error_decodes_with_a_checksummed_address() -> None:
    account = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    role = keccak(text="RECORDER_ROLE")
    data = selector("AccessControlUnauthorizedAccount(address,bytes32)") + encode(
        ["address", "bytes32"], [account, role]
    )
    error = decode_revert(data)
    assert (error.error_name, error.error_args) == (
        "AccessControlUnauthorizedAccount",
        (account, role),
    )


def test_revert_string_and_panic_decode_as_error_and_panic() -> None:
    assert decode_revert(selector("Error(string)") + encode(["string"], ["no"])).error_args == (
        "no",
    )
    assert decode_revert(selector("Panic(uint256)") + encode(["uint256"], [0x11])).error_name == (
        "Panic"
    )


def test_unknown_or_empty_revert_data_is_still_reported() -> None:
    assert decode_revert(b"\xde\xad\xbe\xef").error_name == "UnknownError"
    assert decode_revert(b"").error_name == "Reverted"


def test_unreachable_node_raises_chain_unavailable() -> None:
    # A port bound here and never listened on refuses connections, and no other process (a
    # parallel test worker's anvil) can take it while the test runs.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}"
        with pytest.raises(ChainUnavailable):
            connect(url, recorder_key=None, contract_address="0x" + "11" * 20)


def test_unsupported_url_and_read_only_without_address_are_refused() -> None:
    with pytest.raises(ChainError, match="unsupported"):
        connect("ftp://x", recorder_key=None, contract_address="0x" + "11" * 20)
    with pytest.raises(ChainError, match="contract address"):
        connect("eth-tester://", recorder_key=None, contract_address=None)
