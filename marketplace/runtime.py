"""What one running service holds: settings, the database engine, metrics, and the optional
parts (chain, anchoring worker) that later layers plug in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from marketplace.observability import Metrics
from marketplace.settings import Settings

if TYPE_CHECKING:
    from marketplace.ratelimit import RateLimits

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
    # Abuse-limit counters (marketplace.ratelimit.rate_limits_of makes them on first use).
    rate_limits: RateLimits | None = None
    rate_limits_lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        self.engine.dispose()
