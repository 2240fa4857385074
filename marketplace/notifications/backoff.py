"""When a failed delivery is tried again (pure): exponential backoff with jitter.

The n-th failure waits ``min_s * 2**(n-1)``, capped at ``max_s``, then scaled by a random factor
in [0.5, 1) so that deliveries failing together (a receiver's outage) do not retry together.
"""

from __future__ import annotations

import random
from collections.abc import Callable

Jitter = Callable[[], float]  # a number in [0, 1)


def delay_s(failures: int, min_s: float, max_s: float, jitter: Jitter = random.random) -> float:
    """The wait after the ``failures``-th failed attempt (1 for the first)."""
    assert failures >= 1
    assert 0 < min_s <= max_s
    # 2**64 already exceeds any cap; bounding the exponent keeps the float finite.
    ceiling = min(max_s, min_s * 2.0 ** min(failures - 1, 64))
    return ceiling * (0.5 + jitter() / 2)
