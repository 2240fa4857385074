# ruff: noqa: S608  # tamper tests write SQL from test-chosen integers on purpose
"""Receipts and verifiers on the real chain backends (eth-tester and anvil), and tamper
detection by the whole-journal verifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.canonical import canonical_json, from_hex, keccak256, to_hex
from ledger.chain import Web3AnchorChain, connect
from ledger.chain.base import AnchorChain
from ledger.journal import entry_document
from ledger.merkle import MerkleTree, leaf_hash
from ledger.models import AnchorBatch, JournalEntry
from ledger.receipts import build_receipt
from ledger.verify import ReceiptInvalid, parse_receipt, verify_journal, verify_receipt
from marketplace.cli import app as cli
from tests.chain_fixtures import RECORDER_KEY
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import journal_n

CONFIG = AnchorConfig(batch_entries_max=8, batch_age_s=0, poll_s=0.01)


class _Borrowed:
    """A chain the verifier may 'close' without closing the fixture's connection."""

    def __init__(self, chain: AnchorChain) -> None:
        self._chain = chain

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    def close(self) -> None:
        pass


def _anchor(engine: Engine, chain: AnchorChain, n: int) -> None:
    journal_n(engine, n)
    AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)


def _receipt(engine: Engine, seq: int) -> dict[str, Any]:
    with Session(engine) as s:
        return build_receipt(s, seq)


def test_every_receipt_verifies_on_the_chain(engine: Engine, anchor_chain: Web3AnchorChain) -> None:
    _anchor(engine, anchor_chain, 20)
    assert anchor_chain.batch_count() == 3
    for seq in (1, 8, 9, 20):
        doc = _receipt(engine, seq)
        assert set(doc) == {"entry", "entry_hash", "proof", "root", "batch", "anchor"}
        summary = verify_receipt(parse_receipt(json.dumps(doc)), lambda _: _Borrowed(anchor_chain))
        assert summary.startswith(f"valid: entry {seq} ")


def test_whole_journal_verifies_against_the_chain(
    engine: Engine, anchor_chain: Web3AnchorChain
) -> None:
    _anchor(engine, anchor_chain, 20)
    report = verify_journal(engine, anchor_chain, chunk_rows=7)
    assert report.ok, report
    assert (report.entries, report.batches) == (20, 3)


def test_rewritten_history_is_caught_by_the_chain(
    engine: Engine, anchor_chain: Web3AnchorChain
) -> None:
    """An operator who rewrites entries and every hash after them, and the batch root in the
    database, still disagrees with the root on chain."""
    _anchor(engine, anchor_chain, 8)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM journal_entry"))
        conn.execute(text("DELETE FROM journal_head"))
    journal_n(engine, 8, start=100)  # a consistent, different history
    with Session(engine) as s:
        batch = s.get(AnchorBatch, 1)
        assert batch is not None
        rows = s.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq")).all()
        batch.root = to_hex(MerkleTree.build([leaf_hash(q, from_hex(h)) for q, h in rows]).root)
        s.add(batch)
        s.commit()
    report = verify_journal(engine, anchor_chain)
    assert report.first_bad_seq == 1
    assert "not anchored on chain" in (report.reason or "")


# ------------------------------------------------------------------------- tampering


def _tampered(engine: Engine, *statements: str) -> tuple[int | None, str | None]:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    report = verify_journal(engine, _FAKE)
    return report.first_bad_seq, report.reason


_FAKE = FakeChain()


@pytest.fixture
def journaled(engine: Engine) -> Engine:
    global _FAKE  # noqa: PLW0603 -- one fake chain per test, read by _tampered
    chain = _FAKE = FakeChain()
    _anchor(engine, chain, 20)
    journal_n(engine, 5, start=20)  # 21..25 not anchored yet
    report = verify_journal(engine, chain)
    assert report.ok
    return engine


@pytest.mark.parametrize("seq", [1, 7, 20, 23, 25])
def test_changed_row_is_detected_at_its_seq(journaled: Engine, seq: int) -> None:
    bad, reason = _tampered(
        journaled,
        f"UPDATE journal_entry SET payload_json = '{{\"amount_minor\":999}}' WHERE seq = {seq}",
    )
    assert bad == seq
    assert "altered" in (reason or "")


@pytest.mark.parametrize("seq", [1, 9, 20, 24])
def test_deleted_row_is_detected_at_its_seq(journaled: Engine, seq: int) -> None:
    bad, _ = _tampered(journaled, f"DELETE FROM journal_entry WHERE seq = {seq}")
    assert bad == seq


def test_deleted_last_row_is_detected(journaled: Engine) -> None:
    bad, _ = _tampered(journaled, "DELETE FROM journal_entry WHERE seq = 25")
    assert bad == 25


def test_inserted_row_is_detected(journaled: Engine) -> None:
    bad, reason = _tampered(
        journaled,
        "INSERT INTO journal_entry (seq, kind, subject, actor, payload_json, signature, "
        "recorded_at, prev_hash, entry_hash) SELECT 26, kind, subject, actor, payload_json, "
        "signature, recorded_at, entry_hash, entry_hash FROM journal_entry WHERE seq = 25",
    )
    assert bad == 26
    assert reason


@pytest.mark.parametrize(("a", "b"), [(3, 4), (10, 17), (22, 25)])
def test_reordered_rows_are_detected_at_the_first(journaled: Engine, a: int, b: int) -> None:
    bad, _ = _tampered(
        journaled,
        f"UPDATE journal_entry SET seq = -1 WHERE seq = {a}",
        f"UPDATE journal_entry SET seq = {a} WHERE seq = {b}",
        f"UPDATE journal_entry SET seq = {b} WHERE seq = -1",
    )
    assert bad == a


def test_a_changed_entry_whose_hash_was_recomputed_fails_at_the_next_seq(
    journaled: Engine,
) -> None:
    """Entry 7 is changed and its own entry_hash recomputed: row 7 is self-consistent, so the
    evidence stops holding at entry 8, whose prev_hash still names the old hash."""
    with Session(journaled) as s:
        entry = s.get(JournalEntry, 7)
        assert entry is not None
        entry.payload_json = '{"amount_minor":999}'
        entry.entry_hash = to_hex(keccak256(canonical_json(entry_document(entry))))
        s.add(entry)
        s.commit()
    report = verify_journal(journaled, _FAKE)
    assert (report.first_bad_seq, report.reason) == (8, "entry 8 does not chain to entry 7")


def test_changed_batch_root_is_detected(journaled: Engine) -> None:
    bad, reason = _tampered(
        journaled, "UPDATE anchor_batch SET root = '0x" + "11" * 32 + "' WHERE id = 2"
    )
    assert bad == 9
    assert "root mismatch" in (reason or "")


# --------------------------------------------------------------- bourse verify (CLI)


@pytest.fixture
def anvil_receipt(engine: Engine, anvil_node: Any, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    chain = connect(anvil_node.url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        _anchor(engine, chain, 10)
    finally:
        chain.close()
    return anvil_node.url, _receipt(engine, 9)


def _verify(tmp_path: Path, url: str, content: str, *options: str) -> tuple[int, str]:
    path = tmp_path / "receipt.json"
    path.write_text(content)
    result = CliRunner().invoke(cli, ["verify", str(path), "--chain", url, *options])
    return result.exit_code, result.output


def test_cli_accepts_a_valid_receipt_on_anvil(
    anvil_receipt: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    url, doc = anvil_receipt
    code, out = _verify(tmp_path, url, json.dumps(doc), "--contract", doc["anchor"]["contract"])
    assert code == 0, out
    assert out.startswith("valid: entry 9 ")
    assert "NOT PINNED" not in out


def test_cli_says_an_unpinned_receipt_trusted_its_own_contract_and_exits_3(
    anvil_receipt: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    url, doc = anvil_receipt
    code, out = _verify(tmp_path, url, json.dumps(doc))
    assert code == 3, out
    valid, unpinned = out.strip().splitlines()
    assert valid.startswith("valid: entry 9 ")
    assert unpinned.startswith(
        f"NOT PINNED: this check trusted contract {doc['anchor']['contract']} because the "
        "receipt names it"
    )


def _mutate(doc: dict[str, Any], path: str, value: Any) -> str:
    copy = json.loads(json.dumps(doc))
    *parents, last = path.split(".")
    target = copy
    for p in parents:
        target = target[p]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return json.dumps(copy)


_DELETE = object()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("truncated", "not valid JSON"),
        ("not-json", "not valid JSON"),
        ("array", "must be a JSON object"),
        ("missing-root", "INVALID: malformed receipt: the receipt has missing keys ['root']\n"),
        ("extra-key", "INVALID: malformed receipt: batch has unexpected keys ['size']\n"),
        ("both", "the receipt has missing keys ['proof'] and unexpected keys ['proofs']\n"),
        ("entry-changed", "entry hash mismatch"),
        ("bad-proof", "bad proof"),
        ("other-batch", "root not anchored"),
        ("unknown-batch", "not anchored"),
        ("other-chain", "chain id"),
        ("no-contract", "INVALID"),
        ("bad-hex", "0x-prefixed hex"),
    ],
)
def test_cli_rejects_bad_receipts_with_one_line(
    anvil_receipt: tuple[str, dict[str, Any]], tmp_path: Path, case: str, expected: str
) -> None:
    url, doc = anvil_receipt
    good = json.dumps(doc)
    content = {
        "truncated": good[: len(good) // 2],
        "not-json": "hello",
        "array": "[1, 2]",
        "missing-root": _mutate(doc, "root", _DELETE),
        "extra-key": _mutate(doc, "batch.size", 8),
        "both": json.dumps({**{k: v for k, v in doc.items() if k != "proof"}, "proofs": []}),
        "entry-changed": _mutate(doc, "entry.subject", "order:999"),
        "bad-proof": _mutate(doc, "proof", ["0x" + "11" * 32, *doc["proof"][1:]]),
        "other-batch": _mutate(doc, "batch.id", 1),
        "unknown-batch": _mutate(doc, "batch.id", 99),
        "other-chain": _mutate(doc, "anchor.chain_id", 1),
        "no-contract": _mutate(doc, "anchor.contract", "0x" + "12" * 20),
        "bad-hex": _mutate(doc, "entry_hash", "0xzz"),
    }[case]
    code, out = _verify(tmp_path, url, content)
    assert code != 0
    assert expected in out
    assert len(out.strip().splitlines()) == 1, out
    assert "Traceback" not in out


def test_cli_reports_an_unreachable_chain_in_one_line(
    anvil_receipt: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    _, doc = anvil_receipt
    code, out = _verify(tmp_path, "http://127.0.0.1:9", json.dumps(doc))
    assert code != 0
    assert len(out.strip().splitlines()) == 1


def test_cli_verifies_on_a_persistent_eth_tester_chain(engine: Engine, tmp_path: Path) -> None:
    url = f"eth-tester://{tmp_path / 'chain'}"
    chain = connect(url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        _anchor(engine, chain, 5)
        doc = _receipt(engine, 3)
        pinned = chain.contract_address
    finally:
        chain.close()
    code, out = _verify(tmp_path, url, json.dumps(doc), "--contract", pinned.lower())
    assert code == 0, out


def test_receipt_offline_check_rejects_seq_outside_batch() -> None:
    with pytest.raises(ReceiptInvalid):
        parse_receipt(b"{}")
