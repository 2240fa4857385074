"""What the exchange signs under: the EIP-712 domain and the exchange's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.assets.errors import ChainNotReady
from marketplace.identity import signing
from marketplace.settings import Settings


@dataclass(frozen=True)
class SigningContext:
    """What certificates are signed under: the EIP-712 domain and the exchange's key."""

    chain_id: int
    verifying_contract: str | None
    exchange_key: bytes

    @property
    def domain(self) -> dict[str, Any]:
        return signing.domain(self.chain_id, self.verifying_contract)


def signing_context(
    settings: Settings, chain_id: int | None, contract: str | None
) -> SigningContext:
    if chain_id is None:
        raise ChainNotReady("the exchange's chain is not up yet; try again shortly")
    key = bytes.fromhex(settings.anchor_recorder_key.get_secret_value().removeprefix("0x"))
    return SigningContext(chain_id, contract or settings.anchor_contract_address, key)
