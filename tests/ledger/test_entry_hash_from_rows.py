"""An outsider recomputes every entry_hash from the database rows with nothing but the recipe in
docs/ledger.md ("From the database rows"): plain SQL, the standard library's JSON string
escaping and keccak256. No code of the ledger is used to build the bytes."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger import journal
from ledger.canonical import keccak256

ACTOR = "0x" + "ab" * 20
SIGNATURE = "0x" + "5c" * 65

# recorded_at as the canonical text, straight from SQL (docs/ledger.md)
RECORDED_AT_SQL = {
    "postgresql": ("to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"),
    "sqlite": "replace(recorded_at, ' ', 'T') || 'Z'",
}


def _string(value: str) -> str:
    # RFC 8785 strings: what json.dumps(..., ensure_ascii=False) writes for a str
    return json.dumps(value, ensure_ascii=False)


def test_every_entry_hash_recomputes_from_the_rows_as_documented(engine: Engine) -> None:
    with Session(engine) as s:
        journal.append_many(
            s,
            [
                journal.NewEntry("order.placed", "order:1", ACTOR, {"amount_minor": 1}),
                journal.NewEntry(
                    "asset.registered",
                    'asset:"7" — 资产\\x',
                    ACTOR.upper().replace("0X", "0x"),
                    {"z": [1, -2, None, True], "a": {"名称": "数据\n", "b": "x/y"}},
                    SIGNATURE,
                ),
                journal.NewEntry("evidence.submitted", "dispute:3", ACTOR, {}),
            ],
        )
        s.commit()
    recorded_at = RECORDED_AT_SQL[engine.dialect.name]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT seq, kind, subject, actor, payload_json, signature, "  # noqa: S608
                f"{recorded_at}, prev_hash, entry_hash FROM journal_entry ORDER BY seq"
            )
        ).all()
    assert len(rows) == 3
    for seq, kind, subject, actor, payload_json, signature, recorded, prev_hash, entry_hash in rows:
        document = (
            f'{{"actor":{_string(actor)},"kind":{_string(kind)},"payload":{payload_json},'
            f'"prev_hash":{_string(prev_hash)},"recorded_at":{_string(recorded)},"seq":{seq},'
            f'"signature":{"null" if signature is None else _string(signature)},'
            f'"subject":{_string(subject)}}}'
        )
        assert "0x" + keccak256(document.encode("utf-8")).hex() == entry_hash, seq
