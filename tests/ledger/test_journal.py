"""The journal: hashing, chaining, limits and gapless seq under concurrent writers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from ledger import journal
from ledger.canonical import canonical_json, keccak256, to_hex
from ledger.errors import InvalidEntry
from ledger.models import ZERO_HASH_HEX, JournalEntry, row_as_loaded

ACTOR = "0x" + "ab" * 20


def _append(session: Session, n: int = 1, **payload: Any) -> list[JournalEntry]:
    return [
        journal.append(
            session, kind="order.placed", subject=f"order:{i}", actor=ACTOR, payload=payload
        )
        for i in range(n)
    ]


def test_first_entry_has_seq_1_and_zero_prev_hash(session: Session) -> None:
    (entry,) = _append(session, amount_minor=100)
    session.commit()
    assert entry.seq == 1
    assert entry.prev_hash == ZERO_HASH_HEX


def test_entry_hash_is_keccak_of_the_canonical_document(session: Session) -> None:
    (entry,) = _append(session, amount_minor=100, note="héllo")
    session.commit()
    stored = session.get(JournalEntry, 1)
    assert stored is not None
    document = journal.entry_document(stored)
    assert to_hex(keccak256(canonical_json(document))) == stored.entry_hash == entry.entry_hash


def test_each_entry_chains_to_the_previous_hash(session: Session) -> None:
    entries = _append(session, 3)
    session.commit()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert journal.head(session) == (3, entries[2].entry_hash)


def test_actor_is_stored_checksummed(session: Session) -> None:
    (entry,) = _append(session)
    assert entry.actor == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"


def test_rolled_back_append_does_not_consume_a_seq(engine: Engine) -> None:
    with Session(engine) as s:
        _append(s)
        s.rollback()
    with Session(engine) as s:
        (entry,) = _append(s)
        s.commit()
    assert entry.seq == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "Order Placed"),
        ("subject", ""),
        ("actor", "0x1234"),
        ("payload", {"price": 1.5}),
        ("payload", {"blob": "x" * 20_000}),
        ("signature", "not-hex"),
    ],
)
def test_bad_entry_is_refused_and_writes_nothing(session: Session, field: str, value: Any) -> None:
    args: dict[str, Any] = {
        "kind": "order.placed",
        "subject": "order:1",
        "actor": ACTOR,
        "payload": {},
    }
    args[field] = value
    with pytest.raises(InvalidEntry):
        journal.append(session, **args)
    session.commit()
    assert session.execute(select(JournalEntry)).first() is None


def test_append_many_appends_in_order_in_one_call(session: Session) -> None:
    news = [journal.NewEntry("asset.registered", f"asset:{i}", ACTOR, {"i": i}) for i in range(5)]
    entries = journal.append_many(session, news)
    session.commit()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert journal.head(session)[0] == 5


def test_concurrent_writers_keep_seq_gapless_and_chained(engine: Engine) -> None:
    threads_n, per_thread = 6, 15
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(per_thread):
                with Session(engine) as s:
                    journal.append(
                        s, kind="order.placed", subject=f"t{t}:{i}", actor=ACTOR, payload={}
                    )
                    if i % 5 == 4:
                        s.rollback()  # a failed business change leaves no hole
                    else:
                        s.commit()
        except BaseException as exc:  # noqa: BLE001 -- reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors
    with Session(engine) as s:
        rows = s.execute(select(JournalEntry).order_by(JournalEntry.seq)).scalars().all()  # type: ignore[arg-type]
    expected = threads_n * per_thread * 4 // 5
    assert [r.seq for r in rows] == list(range(1, expected + 1))
    prev = ZERO_HASH_HEX
    for r in rows:
        assert r.prev_hash == prev
        prev = r.entry_hash


_text = st.text(max_size=20)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(_text, _json, max_size=4),
    subject=st.text(min_size=1, max_size=30),
    signature=st.none() | st.just("0xdeadbeef"),
)
def test_spliced_canonical_bytes_equal_rfc8785_of_the_document(
    payload: dict[str, Any], subject: str, signature: str | None
) -> None:
    document = {
        "actor": ACTOR,
        "kind": "order.placed",
        "payload": payload,
        "prev_hash": ZERO_HASH_HEX,
        "recorded_at": "2025-01-02T03:04:05.000006Z",
        "seq": 7,
        "signature": signature,
        "subject": subject,
    }
    spliced = journal.entry_canonical_bytes(
        seq=7,
        kind="order.placed",
        subject=subject,
        actor=ACTOR,
        payload_json=canonical_json(payload).decode(),
        signature=signature,
        recorded_at="2025-01-02T03:04:05.000006Z",
        prev_hash=ZERO_HASH_HEX,
    )
    assert spliced == canonical_json(document)


def test_batched_appends_chain_in_memory_and_are_written_at_the_end_as_unbatched(
    session: Session,
) -> None:
    (first,) = _append(session)  # an entry written before the block
    with journal.batched(session):
        assert journal.next_seq(session) == 2
        a = journal.append_entry(
            session, kind="order.placed", subject="order:1", actor=ACTOR, payload={"n": 1}
        )
        assert journal.next_seq(session) == 3  # answered from the pending entries
        (b,) = _append(session, 1, k=2)
        stored = (
            session.execute(select(col(JournalEntry.seq)).order_by(col(JournalEntry.seq)))
            .scalars()
            .all()
        )
        assert stored == [1]  # nothing of the block written yet
    assert (a.seq, b.seq) == (2, 3)
    assert a.prev_hash == first.entry_hash
    assert b.prev_hash == a.entry_hash
    session.commit()
    assert journal.head(session) == (3, b.entry_hash)
    for seq, expected in ((2, a.entry_hash), (3, b.entry_hash)):
        row = session.get(JournalEntry, seq)
        assert row is not None
        document = journal.entry_document(row)
        assert to_hex(keccak256(canonical_json(document))) == row.entry_hash == expected


def test_a_batch_ended_by_an_error_writes_what_it_appended(session: Session) -> None:
    def failing() -> None:
        with journal.batched(session):
            _append(session, 2)
            raise LookupError("the block fails after appending")

    with pytest.raises(LookupError):
        failing()
    session.commit()
    assert journal.head(session)[0] == 2
    assert session.execute(
        select(col(JournalEntry.seq)).order_by(col(JournalEntry.seq))
    ).scalars().all() == [1, 2]


def test_an_appended_entry_is_the_row_as_stored(session: Session) -> None:
    # ``append`` builds its row object from the values written (models.row_as_loaded).
    (entry,) = _append(session, amount_minor=100)
    signed = journal.append(
        session, kind="order.paid", subject="order:9", actor=ACTOR, payload={}, signature="0x01"
    )
    session.commit()
    table = JournalEntry.__table__  # type: ignore[attr-defined]
    for made in (entry, signed):
        stored = session.execute(select(table).where(table.c.seq == made.seq)).one()._asdict()
        assert {key: getattr(made, key) for key in stored} == stored


def test_a_row_as_loaded_needs_every_column() -> None:
    with pytest.raises(AssertionError, match="a JournalEntry row needs every column"):
        row_as_loaded(JournalEntry, {"seq": 1, "kind": "order.placed"})
