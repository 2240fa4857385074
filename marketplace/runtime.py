"""What one running service holds: settings, the database engine, metrics, and the optional
parts (chain, anchoring worker) that later layers plug in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from marketplace.observability import Metrics
from marketplace.settings import Settings

HealthProbe = Callable[[], dict[str, Any]]


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    metrics: Metrics = field(default_factory=Metrics)
    # Named probes reported by GET /health, e.g. {"chain": probe}; each returns {"ok": bool, ...}.
    probes: dict[str, HealthProbe] = field(default_factory=dict)
    # Called in order at shutdown.
    closers: list[Callable[[], None]] = field(default_factory=list)
    # The anchor chain (a ledger.connection.ChainHandle) and anchoring worker, when attached by
    # marketplace.chain_runtime. chain_id is None until the chain has answered once.
    chain: Any = None
    worker: Any = None
    chain_id: int | None = None
    contract_address: str | None = None

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.engine.dispose()
