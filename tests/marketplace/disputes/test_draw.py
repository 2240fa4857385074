"""The draw (``service/draw.py``) is a pure function of its seed and pool: the same inputs pick the
same arbitrators, picks are distinct, and the documented recipe is recomputed here with hashlib."""

from __future__ import annotations

import hashlib

from marketplace.disputes.service.draw import draw, seed


def test_the_recipe_as_documented() -> None:
    prev = "0x" + "ab" * 32
    s = seed(prev, 7, 1)
    assert (
        s
        == hashlib.sha256(
            bytes.fromhex("ab" * 32) + (7).to_bytes(8, "big") + (1).to_bytes(8, "big")
        ).digest()
    )
    pool = [3, 5, 8, 13, 21]
    remaining, expected = list(pool), []
    for i in range(3):
        index = int.from_bytes(hashlib.sha256(s + i.to_bytes(8, "big")).digest(), "big") % len(
            remaining
        )
        expected.append(remaining.pop(index))
    assert draw(s, pool, 3) == expected


def test_picks_are_distinct_deterministic_and_bounded() -> None:
    for n in range(8):
        pool = list(range(100, 100 + n))
        for k in range(5):
            s = seed("0x" + "00" * 32, n, k)
            picked = draw(s, pool, k)
            assert picked == draw(s, pool, k)
            assert len(picked) == min(k, n)
            assert len(set(picked)) == len(picked)
            assert set(picked) <= set(pool)
