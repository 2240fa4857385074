"""The compiled LedgerAnchor contract, shipped in the package as ``ledger/abi/LedgerAnchor.json``.

``contracts/compile.mjs`` writes that file and ``contracts/build/LedgerAnchor.json`` with the
same bytes; ``tests/contracts/test_build.py`` fails when they are stale.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from eth_utils.crypto import keccak


@dataclass(frozen=True)
class ContractArtifact:
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    compiler_version: str

    @functools.cached_property
    def errors_by_selector(self) -> dict[bytes, tuple[str, list[str]]]:
        """4-byte selector -> (error name, argument types), for every custom error in the ABI
        plus Solidity's built-in ``Error(string)`` and ``Panic(uint256)``."""
        found: dict[bytes, tuple[str, list[str]]] = {
            keccak(text="Error(string)")[:4]: ("Error", ["string"]),
            keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"]),
        }
        for item in self.abi:
            if item["type"] == "error":
                types = [arg["type"] for arg in item["inputs"]]
                signature = f"{item['name']}({','.join(types)})"
                found[keccak(text=signature)[:4]] = (item["name"], types)
        return found


@functools.cache
def ledger_anchor_artifact() -> ContractArtifact:
    text = resources.files("ledger").joinpath("abi", "LedgerAnchor.json").read_text("utf-8")
    data = json.loads(text)
    return ContractArtifact(
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
        compiler_version=data["compiler"]["version"],
    )
