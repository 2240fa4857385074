"""Test-only powers over a chain connection, where the backend has them (in the spirit of
ape's TestProviderAPI): snapshot and revert, mining empty blocks, funding an address.

They are not part of AnchorChain and must never be used by the service: a production node
refuses them.
"""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address

from ledger.chain.base import ChainError
from ledger.chain.rpc import send_raw, wait_mined
from ledger.chain.signer import TRANSFER_GAS_LIMIT, Signer
from ledger.chain.web3_chain import Web3AnchorChain

# eth-tester's first default account (private key 1), funded at genesis of every eth-tester chain
TESTER_FAUCET_KEY = "0x" + "00" * 31 + "01"


class DevChain:
    """Snapshot/revert, mine and fund on eth-tester or anvil."""

    def __init__(self, chain: Web3AnchorChain) -> None:
        self._chain = chain
        self._rpc = chain.rpc
        if chain.backend == "eth-tester":
            self.kind = "eth-tester"
        else:
            client = str(self._rpc.raw_request("web3_clientVersion", []))
            if not client.lower().startswith("anvil"):
                raise ChainError(f"no test-only powers on this node ({client})")
            self.kind = "anvil"

    def snapshot(self) -> Any:
        """An id for the current chain state (anvil forgets it once reverted to)."""
        return self._rpc.raw_request("evm_snapshot", [])

    def revert(self, snapshot: Any) -> None:
        result = self._rpc.raw_request("evm_revert", [snapshot])
        if result is False:
            raise ChainError(f"unknown snapshot {snapshot!r}")

    def mine(self, blocks: int = 1) -> None:
        assert 0 < blocks <= 10_000, blocks
        if self.kind == "anvil":
            self._rpc.raw_request("anvil_mine", [hex(blocks)])
        else:
            self._rpc.raw_request("evm_mine", [blocks])

    def set_automine(self, enabled: bool) -> None:
        """Mine each transaction as it arrives (the default), or leave it pending until
        :meth:`mine`."""
        if self.kind == "anvil":
            self._rpc.raw_request("evm_setAutomine", [enabled])
            return
        tester = self._rpc.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        with self._rpc.lock:
            if enabled:
                tester.enable_auto_mine_transactions()
            else:
                tester.disable_auto_mine_transactions()

    def fund(self, address: str, amount_wei: int) -> None:
        """Give ``address`` ``amount_wei`` (anvil sets the balance; eth-tester transfers it
        from its genesis faucet account)."""
        address = to_checksum_address(address)
        if self.kind == "anvil":
            self._rpc.raw_request("anvil_setBalance", [address, hex(amount_wei)])
            return
        faucet = Signer(self._rpc, TESTER_FAUCET_KEY, self._chain.chain_id)
        signed = faucet.sign(address, b"", TRANSFER_GAS_LIMIT, value_wei=amount_wei)
        send_raw(self._rpc, signed.raw)
        if not wait_mined(self._rpc, signed.tx_hash).succeeded:
            raise ChainError(f"funding {address} failed")
