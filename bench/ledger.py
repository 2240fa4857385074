"""Ledger benchmark: prints figures measured in one run on this machine.

    .venv/bin/python bench/ledger.py [--entries N] [--chain URL]

- entries/s journaled and anchored (SQLite file, in-process EVM by default), and the ratio to a
  raw SQLite insert of same-size rows;
- gas per entry at batch sizes 1, 1,000 and 65,536;
- inclusion-proof verifications/s;
- ``bourse ledger verify`` entries/s (whole journal, roots checked on chain).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session

from ledger import journal
from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.canonical import from_hex
from ledger.chain import Web3AnchorChain, connect
from ledger.merkle import MerkleTree, leaf_hash, verify_proof
from ledger.models import JournalEntry
from ledger.verify import verify_journal
from marketplace.db import make_engine
from marketplace.tables import metadata

RECORDER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ACTOR = "0x" + "ab" * 20
PER_TRANSACTION = 1_000


def _entries(start: int, n: int) -> list[journal.NewEntry]:
    return [
        journal.NewEntry(
            "order.placed",
            f"order:{i}",
            ACTOR,
            {"amount_minor": i * 100, "asset": f"asset:{i % 97}", "terms_hash": "0x" + "cd" * 32},
        )
        for i in range(start, start + n)
    ]


def journal_and_anchor(workdir: Path, chain: Web3AnchorChain, n: int) -> tuple[float, float, float]:
    engine = make_engine(f"sqlite:///{workdir / 'ledger.sqlite'}")
    metadata.create_all(engine)
    started = time.perf_counter()
    for start in range(0, n, PER_TRANSACTION):
        with Session(engine) as s:
            journal.append_many(s, _entries(start, min(PER_TRANSACTION, n - start)))
            s.commit()
    journaled = time.perf_counter()
    config = AnchorConfig(batch_entries_max=65_536, batch_age_s=0, poll_s=0.01)
    AnchorWorker(engine, lambda: chain, config).run_until_anchored(timeout_s=600)
    total = time.perf_counter() - started
    report = verify_journal(engine, chain)
    assert report.ok, report
    engine.dispose()
    return n / total, n / (journaled - started), report.entries_per_s


def raw_sqlite(workdir: Path, n: int) -> float:
    """Plain INSERTs of rows shaped like journal rows (no hashing, no chain)."""
    conn = sqlite3.connect(workdir / "raw.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE t (seq INTEGER PRIMARY KEY, kind TEXT, subject TEXT, actor TEXT, "
        "payload_json TEXT, signature TEXT, recorded_at TEXT, prev_hash TEXT, entry_hash TEXT)"
    )
    payload = '{"amount_minor":100,"asset":"asset:1","terms_hash":"0x' + "cd" * 32 + '"}'
    h = "0x" + "ef" * 32
    started = time.perf_counter()
    for start in range(0, n, PER_TRANSACTION):
        rows = [
            (
                i,
                "order.placed",
                f"order:{i}",
                ACTOR,
                payload,
                None,
                "2025-01-01 00:00:00.000000",
                h,
                h,
            )
            for i in range(start + 1, min(start + PER_TRANSACTION, n) + 1)
        ]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


def gas_per_entry(chain: Web3AnchorChain, sizes: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    first = chain.last_anchored_seq() + 1
    for size in sizes:
        leaves = [leaf_hash(seq, seq.to_bytes(32, "big")) for seq in range(first, first + size)]
        root = MerkleTree.build(leaves).root
        signed = chain.sign_anchor(root, first, first + size - 1)
        chain.send_raw(signed.raw)
        receipt = chain.rpc.w3.eth.wait_for_transaction_receipt(signed.tx_hash, timeout=60)  # type: ignore[arg-type]
        out[size] = int(receipt["gasUsed"]) / size
        first += size
    return out


def proofs_per_s(n: int = 65_536, checks: int = 50_000) -> float:
    leaves = [leaf_hash(seq, seq.to_bytes(32, "big")) for seq in range(1, n + 1)]
    tree = MerkleTree.build(leaves)
    sample = [(leaf, tree.proof(leaf)) for leaf in leaves[:: max(1, n // checks)][:checks]]
    started = time.perf_counter()
    for leaf, proof in sample:
        assert verify_proof(tree.root, leaf, proof)
    return len(sample) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000, help="journal size (200,000)")
    parser.add_argument("--chain", default="eth-tester://", help="chain URL (in-process EVM)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        chain = connect(args.chain, recorder_key=RECORDER_KEY, contract_address=None)
        try:
            both, journal_only, verify_rate = journal_and_anchor(workdir, chain, args.entries)
            raw = raw_sqlite(workdir, args.entries)
            gas = gas_per_entry(chain, [1, 1_000, 65_536])
        finally:
            chain.close()
    proofs = proofs_per_s()
    print(f"ledger bench: {args.entries:,} entries, chain {args.chain}, SQLite file")
    print(f"  journaled and anchored   {both:>12,.0f} entries/s")
    print(f"  journaled only           {journal_only:>12,.0f} entries/s")
    print(
        f"  raw SQLite insert        {raw:>12,.0f} rows/s  (ratio journaled+anchored/raw "
        f"{both / raw:.2f})"
    )
    for size, per_entry in gas.items():
        print(f"  gas per entry @ {size:>6,}   {per_entry:>12,.2f}")
    print(f"  inclusion proofs         {proofs:>12,.0f} verifications/s (65,536-leaf tree)")
    print(f"  ledger verify            {verify_rate:>12,.0f} entries/s (roots checked on chain)")
    _ = JournalEntry, from_hex


if __name__ == "__main__":
    main()
