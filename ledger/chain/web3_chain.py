"""The AnchorChain over web3.py: the same class serves the in-process EVM and any JSON-RPC
node; only the provider (built by :func:`ledger.chain.connect`) differs."""

from __future__ import annotations

from collections.abc import Callable

from ledger.chain.base import AnchoredBatch, AnchorRejected, SignedAnchor, TxStatus
from ledger.chain.contract import LedgerAnchorContract
from ledger.chain.deployment import Deployment, find_deployment
from ledger.chain.rpc import Rpc, send_raw, tx_status
from ledger.chain.signer import Signer


class Web3AnchorChain:
    """A connection to one chain and one LedgerAnchor contract (implements AnchorChain).

    ``contract`` is the typed wrapper for everything beyond the interface (roles,
    ``check_anchor``, ``anchor`` that waits for the block). ``backend`` is ``"eth-tester"`` or
    ``"json-rpc"``. Thread-safe: every request holds the connection's lock.
    """

    def __init__(
        self,
        rpc: Rpc,
        contract: LedgerAnchorContract,
        signer: Signer | None,
        chain_id: int,
        *,
        backend: str,
        on_close: Callable[[], None] | None = None,
        deployment: Deployment | None = None,
    ) -> None:
        self.rpc = rpc
        self.contract = contract
        self.signer = signer
        self.backend = backend
        self._chain_id = chain_id
        self._on_close = on_close
        self._closed = False
        # Where the contract was deployed, when this connection deployed it or it was recorded.
        self.known_deployment = deployment
        self._deployment_searched = False

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def contract_address(self) -> str:
        return self.contract.address

    @property
    def recorder_address(self) -> str | None:
        return None if self.signer is None else self.signer.address

    def deployment(self) -> Deployment | None:
        """The contract's deployment transaction and block: as recorded at deployment, else
        found on the chain (once per connection); None when the chain cannot tell."""
        if self.known_deployment is None and not self._deployment_searched:
            self.known_deployment = find_deployment(self.rpc, self.contract.address)
            self._deployment_searched = True  # a public endpoint must not bisect on every call
        return self.known_deployment

    def as_signer(self, private_key: str) -> Web3AnchorChain:
        """Another view of this connection that signs with ``private_key`` (same node, same
        contract, same lock); closing it closes nothing."""
        signer = Signer(self.rpc, private_key, self._chain_id)
        contract = LedgerAnchorContract(self.rpc, self.contract.address, signer)
        return Web3AnchorChain(self.rpc, contract, signer, self._chain_id, backend=self.backend)

    def block_number(self) -> int:
        with self.rpc.guard():
            return int(self.rpc.w3.eth.block_number)

    def last_anchored_seq(self) -> int:
        return self.contract.last_anchored_seq()

    def batch_count(self) -> int:
        return self.contract.batch_count()

    def batch(self, batch_id: int) -> AnchoredBatch | None:
        try:
            return self.contract.batch(batch_id)
        except AnchorRejected as exc:
            if exc.error_name == "UnknownBatch":
                return None
            raise

    def verify_inclusion(
        self, batch_id: int, seq: int, entry_hash: bytes, proof: list[bytes]
    ) -> bool:
        return self.contract.verify(batch_id, seq, entry_hash, proof)

    def sign_anchor(self, root: bytes, first_seq: int, last_seq: int) -> SignedAnchor:
        return self.contract.sign_anchor(root, first_seq, last_seq)

    def check_anchor(self, root: bytes, first_seq: int, last_seq: int) -> None:
        self.contract.check_anchor(root, first_seq, last_seq)

    def sign_replacement(self, raw: bytes) -> SignedAnchor:
        return self.contract.sign_replacement(raw)

    def send_raw(self, raw: bytes) -> bytes:
        return send_raw(self.rpc, raw)

    def tx_status(self, tx_hash: bytes) -> TxStatus | None:
        return tx_status(self.rpc, tx_hash)

    def anchored_in(self, tx_hash: bytes) -> list[AnchoredBatch]:
        return self.contract.anchored_in(tx_hash)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close()
