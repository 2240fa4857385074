"""The wait between attempts: doubling from the minimum, capped, jittered into [half, whole)."""

from __future__ import annotations

import pytest

from marketplace.notifications.backoff import delay_s


@pytest.mark.parametrize(
    ("failures", "ceiling"), [(1, 10.0), (2, 20.0), (3, 40.0), (6, 320.0), (7, 500.0), (200, 500.0)]
)
def test_the_wait_doubles_up_to_the_cap_and_jitter_spans_its_upper_half(
    failures: int, ceiling: float
) -> None:
    assert delay_s(failures, 10.0, 500.0, lambda: 0.0) == ceiling / 2
    assert delay_s(failures, 10.0, 500.0, lambda: 0.5) == ceiling * 0.75
    assert ceiling / 2 <= delay_s(failures, 10.0, 500.0) < ceiling


def test_jittered_waits_differ() -> None:
    assert len({delay_s(3, 10.0, 500.0) for _ in range(20)}) > 1
