"""A generated table with known defects, each of which can be switched off."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

AS_OF = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
ROWS = 2000
NULL_ROWS = 60  # 3% of 2000, in column "name"
DUPLICATE_KEYS = 50  # rows appended with ids already used
OUT_OF_RANGE = 10  # "score" values of 150 where the schema says 0..100
FRESH_NEWEST = date(2026, 6, 30)
STALE_NEWEST = date(2026, 5, 1)  # 60 days old against a daily update frequency

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "name", "type": "string"},
        {"name": "score", "type": "integer", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "category", "type": "string", "constraints": {"enum": ["a", "b", "c"]}},
        {"name": "start_date", "type": "date"},
        {"name": "end_date", "type": "date"},
        {"name": "updated", "type": "date"},
    ],
    "primaryKey": ["id"],
}
RULES = ["end_date >= start_date"]
FREQUENCY = "daily"


def write_table(
    path: Path,
    *,
    nulls: bool = True,
    duplicate_keys: bool = True,
    out_of_range: bool = True,
    stale: bool = True,
) -> Path:
    rnd = random.Random(42)
    newest = STALE_NEWEST if stale else FRESH_NEWEST
    rows: list[list[str]] = []
    for i in range(ROWS):
        start = date(2025, 1, 1) + timedelta(days=rnd.randint(0, 300))
        rows.append(
            [
                str(i),
                f"name-{i}",
                str(rnd.randint(0, 100)),
                rnd.choice("abc"),
                start.isoformat(),
                (start + timedelta(days=rnd.randint(0, 30))).isoformat(),
                (newest - timedelta(days=i % 90)).isoformat(),
            ]
        )
    if nulls:
        for i in range(0, NULL_ROWS * 30, 30):
            rows[i][1] = ""
    if out_of_range:
        for i in range(1, 1 + OUT_OF_RANGE * 7, 7):
            rows[i][2] = "150"
    if duplicate_keys:
        rows.extend(
            [str(10 * k), f"again-{k}", "50", "a", "2025-02-01", "2025-02-02", "2025-02-03"]
            for k in range(DUPLICATE_KEYS)
        )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        writer.writerows(rows)
    return path
