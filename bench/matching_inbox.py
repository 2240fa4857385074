"""The supplier's inbox benchmark: prints figures measured in one run on this machine.

    .venv/bin/python bench/matching_inbox.py [--runs N]

Times the pure part of one ``GET /demands/matched`` (``matching.service.inbox``: the inverted
map of the offers, the relevance of each word through the token map, ``scoring.quick_score``,
the ranking), in CPU time, for D open demands against L listings of one supplier, generated:
listings of 8 columns and about 30 tokens of text, demands of 3 required fields and about 20
words. Two vocabularies:

- ``shared``: 20 words and 15 column names, so every demand shares something with every
  listing: the worst case, every pair scored;
- ``broad``: 3,000 made-up words and 1,500 more column names, so a demand shares something with
  fewer listings: the inverted map leaves those pairs unscored.

Reading the rows (three queries) and explaining the page shown are not included. Prints p50 and
the maximum per size, and the ratio of each size's p50 to the bound's (``limits``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

# Run as a script, this file's folder comes first on sys.path; put the repository there instead
# (bench/ledger.py would shadow the ledger package).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from marketplace import limits  # noqa: E402
from marketplace.listings.schemas import ListingPublic  # noqa: E402
from marketplace.matching.models import Demand  # noqa: E402
from marketplace.matching.repository import ProfileRow  # noqa: E402
from marketplace.matching.service.inbox import _Offer, _Offers, _score  # noqa: E402
from marketplace.matching.service.matches import texts_of, token_weights  # noqa: E402
from marketplace.search import segmenter  # noqa: E402

SHARED_WORDS = ["air", "quality", "pm25", "city", "population", "fruit", "price", "tea", "yield",
                "traffic", "flow", "weather", "rain", "temperature", "sales", "retail", "空气",
                "质量", "交通", "人口"]  # fmt: skip
SHARED_COLUMNS = ["city", "pm25", "ts", "timestamp", "price", "name", "id", "station", "region",
                  "temperature", "rain_mm", "flow", "date", "sales_amount", "sku"]  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    columns: list[str]


def _made_up(count: int, seed: int) -> list[str]:
    """Distinct words of letters only (a digit or a shared prefix would be a token of its own,
    held by every listing)."""
    rng, made = random.Random(seed), set()
    while len(made) < count:
        made.add("".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(3)))
    return sorted(made)


VOCABULARIES = {
    "shared": Vocabulary(SHARED_WORDS, SHARED_COLUMNS),
    "broad": Vocabulary(_made_up(3000, 1), _made_up(1500, 2) + SHARED_COLUMNS),
}


@dataclass(frozen=True)
class _Listing:
    """The one field of a listing the scoring reads (its id); the rest is the page's."""

    id: int


def _words(rng: random.Random, vocabulary: Vocabulary, n: int) -> str:
    return " ".join(rng.choice(vocabulary.words) for _ in range(n))


def offers(rng: random.Random, vocabulary: Vocabulary, count: int) -> _Offers:
    made = []
    for i in range(count):
        columns: list[dict[str, Any]] = [
            {"name": c, "type": "string"} for c in rng.sample(vocabulary.columns, 8)
        ]
        profile = ProfileRow(i + 1, 1, rng.randint(1_000, 90_000), ["research"], columns, 80.0)
        texts = texts_of(
            _words(rng, vocabulary, 5),
            [_words(rng, vocabulary, 1) for _ in range(4)],
            _words(rng, vocabulary, 20),
        )
        texts["columns"] = frozenset(
            t for c in columns for t in segmenter.column_tokens(str(c["name"]))
        )
        listing = cast(ListingPublic, _Listing(i + 1))
        made.append(_Offer(listing, profile, texts, token_weights(texts)))
    return _Offers.of(made)


def demands(rng: random.Random, vocabulary: Vocabulary, count: int) -> list[Demand]:
    deadline = datetime.now(UTC) + timedelta(days=3)
    return [
        Demand(
            id=i + 1,
            buyer_organization_id=2,
            posted_by=1,
            poster_address="0x0",
            title=_words(rng, vocabulary, 4),
            description=_words(rng, vocabulary, 15),
            keywords=[_words(rng, vocabulary, 1) for _ in range(3)],
            required_fields=[{"name": c, "type": "any"} for c in rng.sample(vocabulary.columns, 3)],
            purpose="research",
            budget_min_minor=1_000,
            budget_max_minor=50_000,
            currency="CNY",
            deadline=deadline,
            journal_seq=1,
        )
        for i in range(count)
    ]


def measure(vocabulary: Vocabulary, n_demands: int, n_listings: int, runs: int) -> list[float]:
    rng = random.Random(7)
    supply, asked = offers(rng, vocabulary, n_listings), demands(rng, vocabulary, n_demands)
    times = []
    for _ in range(runs):
        started = time.process_time()
        found = [f for d in asked if (f := _score(d, supply)) is not None]
        found.sort(key=lambda f: (-f.score, -(f.demand.id or 0)))
        times.append(time.process_time() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bound = (limits.matching_inbox_demands_scanned_max, limits.matching_inbox_listings_max)
    sizes = [(500, 50), bound, (bound[0], 10)]
    for name, vocabulary in VOCABULARIES.items():
        p50s = {}
        for n_demands, n_listings in sizes:
            times = measure(vocabulary, n_demands, n_listings, args.runs)
            p50s[(n_demands, n_listings)] = statistics.median(times)
            print(
                f"{name:6} {n_demands:4} demands x {n_listings:3} listings: "
                f"CPU p50 {p50s[(n_demands, n_listings)] * 1000:7.1f} ms, "
                f"max {max(times) * 1000:7.1f} ms"
            )
        for size, p50 in p50s.items():
            print(f"{name:6} {size[0]} x {size[1]} / bound: {p50 / p50s[bound]:.2f}")


if __name__ == "__main__":
    main()
