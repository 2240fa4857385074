"""Quality evaluation benchmark: ratios measured in one run.

1. Time to evaluate a 1,000,000-row x 20-column CSV vs the time polars takes just to read it
   (target: at most 2x). Reads and evaluations alternate in blocks of three consecutive runs,
   so that load from other processes on a shared machine hits both sides alike, and the best
   of each is kept. Blocks, not single runs: a read that directly follows an evaluation takes
   about 25% longer (polars' allocator has handed memory back), which would flatter the ratio.
   The CPU-time ratio (all threads) is printed beside the wall-clock one, as it depends less
   on that load.
2. ydata-profiling in minimal mode on the same file, when ydata-profiling is importable by the
   interpreter given with --ydata-python (it is not a dependency; target: at least 20x slower).
3. Peak memory (max RSS of a child process) evaluating a large file: 512 MB by default,
   --large-gb 5 for the issue's 5 GB case (target: under 1 GB).

    .venv/bin/python bench/quality.py [--rows 1000000] [--large-gb 0.5] [--ydata-python PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path; put the repository there instead
# so that bench/ledger.py does not shadow the ledger package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import polars as pl  # noqa: E402

COLUMNS = 20
BLOCK = 3  # consecutive runs of one side before the other's


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """20 columns: 6 integers, 6 floats, 4 low-cardinality strings, 2 ids, 2 dates."""
    base = pl.int_range(0, rows, eager=True).alias("i")
    df = pl.DataFrame(base)
    cols: list[pl.Expr] = [
        ((pl.col("i") * (7919 + k) + seed) % 100_000).alias(f"int_{k}") for k in range(6)
    ]
    cols += [
        (((pl.col("i") * (104_729 + k)) % 1_000_003) / 997.0).alias(f"float_{k}") for k in range(6)
    ]
    cols += [
        pl.format("cat_{}", (pl.col("i") * (31 + k)) % (5 + k)).alias(f"str_{k}") for k in range(4)
    ]
    cols.append(pl.format("id-{}", pl.col("i")).alias("id_0"))
    cols.append(pl.format("user{}@example.org", pl.col("i") % 50_000).alias("id_1"))
    cols += [
        (pl.date(2020, 1, 1) + pl.duration(days=(pl.col("i") * (3 + k)) % 2000)).alias(f"date_{k}")
        for k in range(2)
    ]
    out = df.select(cols)
    assert out.width == COLUMNS
    out.write_csv(path)


def generate_large(path: Path, size_bytes: int) -> None:
    chunk = path.with_suffix(".chunk.csv")
    generate(chunk, 1_000_000, seed=3)
    body = chunk.read_bytes()
    header, _, rows = body.partition(b"\n")
    with path.open("wb") as fh:
        fh.write(header + b"\n")
        written = len(header) + 1
        while written < size_bytes:
            fh.write(rows)
            written += len(rows)
    chunk.unlink()


def timed(fn: object) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process's threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return wall, usage.ru_utime + usage.ru_stime - cpu


def polars_read(path: Path) -> None:
    pl.scan_csv(path).collect(engine="streaming")


def evaluate_file(path: Path) -> None:
    from marketplace.quality import evaluate

    evaluate(path, fmt="csv", as_of=datetime(2026, 1, 1, tzinfo=UTC))


YDATA_SCRIPT = """
import sys, time
import pandas as pd
from ydata_profiling import ProfileReport
start = time.perf_counter()
df = pd.read_csv(sys.argv[1])
ProfileReport(df, minimal=True, progress_bar=False).to_json()
print(time.perf_counter() - start)
"""

CHILD_EVAL = """
import sys, resource
from datetime import UTC, datetime
from pathlib import Path
from marketplace.quality import evaluate
r = evaluate(Path(sys.argv[1]), fmt="csv", as_of=datetime(2026, 1, 1, tzinfo=UTC))
print(r.rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large-gb", type=float, default=0.5, help="0 skips the memory run")
    parser.add_argument("--ydata-python", help="interpreter with ydata-profiling installed")
    parser.add_argument("--repeat", type=int, default=3, help="alternating blocks of each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        path = Path(tmp) / "table.csv"
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.rows:,} rows x {COLUMNS} columns, {size_mb:.0f} MB")
        polars_read(path)  # warm the page cache
        evaluate_file(path)  # and the imports
        reads, evals = [], []
        for _ in range(max(1, args.repeat)):
            reads += [timed(lambda: polars_read(path)) for _ in range(BLOCK)]
            evals += [timed(lambda: evaluate_file(path)) for _ in range(BLOCK)]
        read_s, read_cpu = min(w for w, _ in reads), min(c for _, c in reads)
        eval_s, eval_cpu = min(w for w, _ in evals), min(c for _, c in evals)
        load = os.getloadavg()[0]
        print(f"polars read: {read_s:.2f} s wall, {read_cpu:.2f} s CPU (best of {len(reads)})")
        print(f"evaluation:  {eval_s:.2f} s wall, {eval_cpu:.2f} s CPU (best of {len(evals)})")
        print(f"RATIO evaluation / polars read = {eval_s / read_s:.2f}x wall (target <= 2x)")
        print(f"RATIO evaluation / polars read = {eval_cpu / read_cpu:.2f}x CPU")
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores")
        if args.ydata_python:
            out = subprocess.run(  # noqa: S603 -- the interpreter path is the operator's argument
                [args.ydata_python, "-c", YDATA_SCRIPT, str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode == 0:
                ydata_s = float(out.stdout.strip().splitlines()[-1])
                print(f"ydata-profiling minimal: {ydata_s:.2f} s")
                print(
                    f"RATIO ydata-profiling / evaluation = {ydata_s / eval_s:.1f}x (target >= 20x)"
                )
            else:
                print("ydata-profiling failed:", out.stderr.strip().splitlines()[-1:])
        else:
            print("ydata-profiling: not measured (pass --ydata-python)")
        if args.large_gb > 0:
            large = Path(tmp) / "large.csv"
            generate_large(large, int(args.large_gb * 1e9))
            path.unlink()
            gb = large.stat().st_size / 1e9
            start = time.perf_counter()
            out = subprocess.run(  # noqa: S603 -- our own interpreter and script
                [sys.executable, "-c", CHILD_EVAL, str(large)],
                capture_output=True,
                text=True,
                check=True,
            )
            took = time.perf_counter() - start
            rows, rss_kb = out.stdout.split()
            peak_mb = int(rss_kb) / 1024
            print(f"large file: {gb:.2f} GB, {int(rows):,} rows, evaluated in {took:.1f} s")
            print(f"PEAK memory: {peak_mb:.0f} MB = {peak_mb / 1024:.2f} GB (target < 1 GB)")


if __name__ == "__main__":
    main()
