"""The migrations build exactly the schema the models declare, on both databases; upgrading a
populated SQLite database keeps every row."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.db import RevisionMismatch, make_engine
from marketplace.migrations import check_at_head, upgrade, upgrade_embedded
from marketplace.runtime import Runtime
from marketplace.search import service as search_service
from marketplace.tables import include_name, metadata
from tests.conftest import POSTGRES_URL, own_schema, settings_for
from tests.marketplace.assets.helpers import (
    CSV,
    Party,
    create,
    operator,
    party,
    registered_listed,
    upload,
    verify,
)
from tests.marketplace.assets.test_objections_http import objection
from tests.marketplace.identity.helpers import CHAIN_ID


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_sqlite_tables_whose_rows_are_deleted_are_autoincrement(engine: Engine) -> None:
    """The models mark them ``sqlite_autoincrement``; the migrated schema must agree (SQLite's
    reflection does not see AUTOINCREMENT, so a later batch migration that rebuilds one of these
    tables must pass ``table_kwargs={"sqlite_autoincrement": True}`` or this test fails)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never reuse a value")
    marked = {
        t.name for t in metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
    }
    assert {"asset", "asset_revision", "quality_evaluation"} <= marked
    with engine.connect() as conn:
        tables = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        autoincrement = {name for name, sql in tables if "AUTOINCREMENT" in sql}
    assert autoincrement == marked


def test_migrations_record_their_revision(engine: Engine) -> None:
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
    assert "alembic_version" in inspect(engine).get_table_names()


# --- 0005: on SQLite, the ids of deleted rows are never reused ------------------------------


def _all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but alembic's own (SQLite)."""
    with engine.connect() as conn:
        names = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name"
        ).scalars()
        return {
            name: sorted(tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}"'))  # noqa: S608 -- names from sqlite_master
            for name in list(names)
        }


@pytest.fixture
def old_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """An app's runtime on a SQLite database at revision 0004, before ids were AUTOINCREMENT.
    Today's code keeps listings and the catalog search index (added later) as assets change;
    the API calls that fill the old database run without them."""
    monkeypatch.setattr(search_service, "set_asset_state", lambda *_, **__: 0)
    monkeypatch.setattr("marketplace.assets.service.listing.listed_hooks", [])
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0004")
    # Every authenticated request reads organisation suspensions (added later): the table is
    # there, empty, while today's code fills the old database, and gone before it upgrades.
    _SUSPENSION.create(engine)
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{tmp_path / 'blobs'}"), engine=engine
    )
    runtime.chain_id = CHAIN_ID
    yield runtime
    engine.dispose()


_SUSPENSION = metadata.tables["organization_suspension"]


def _back_at_0004(engine: Engine) -> None:
    """Drops what ``old_runtime`` added for today's code, which must have stayed empty."""
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(_SUSPENSION)).scalar_one() == 0
    _SUSPENSION.drop(engine)


def _entries(api: TestClient, subject: str) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": subject})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _evaluation_id(api: TestClient, who: Party, asset_id: int) -> int:
    got = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=who.headers).json()
    assert got["status"] == "done", got
    return int(got["id"])


def test_upgrading_a_populated_sqlite_database_keeps_every_row_and_never_reuses_an_id(
    old_runtime: Runtime,
) -> None:
    engine = old_runtime.engine
    with TestClient(create_app(runtime=old_runtime), raise_server_exceptions=False) as api:
        ops = operator(api, old_runtime)
        supplier = party(api, "alice@supplier.test", "Alice Data", ["supplier"])
        rival = party(api, "bob@rival.test", "Bob Data", ["supplier", "buyer"])
        verify(api, ops, supplier)
        verify(api, ops, rival)
        listed = registered_listed(api, supplier, ops)  # revision, evaluation, review, registration
        filed = api.post(f"/assets/{listed}/objections", json=objection(), headers=rival.headers)
        assert filed.status_code == 201, filed.text
        draft = create(api, supplier, title="A draft")["id"]
        assert upload(api, supplier, draft, CSV).status_code == 201
        # Deleted at 0004: the newest asset and its evaluation, both named in the journal.
        gone = create(api, supplier, title="Deleted before the upgrade")["id"]
        assert upload(api, supplier, gone, CSV).status_code == 201
        gone_evaluation = _evaluation_id(api, supplier, gone)
        assert api.delete(f"/assets/{gone}", headers=supplier.headers).status_code == 200
        gone_history = _entries(api, f"asset:{gone}")
    _back_at_0004(engine)
    before = _all_rows(engine)
    for table in ("asset_revision", "quality_evaluation", "asset_objection", "asset_registration"):
        assert before[table], table

    upgrade(engine)

    after = _all_rows(engine)
    dropped = {"login_throttle"}  # nothrottle: failed logins are counted in the limits store
    assert dropped <= before.keys()
    assert not dropped & after.keys()
    kept = before.keys() - dropped
    assert {name: after[name] for name in kept} == {name: before[name] for name in kept}
    added = [name for name in after.keys() - before.keys() if include_name(name, "table", {})]
    assert not any(after[name] for name in added)  # tables added since (FTS5's own aside)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    with TestClient(create_app(runtime=old_runtime), raise_server_exceptions=False) as api:
        assert api.get(f"/assets/{listed}").json()["status"] == "listed"
        newest = create(api, supplier, title="After the upgrade")["id"]
        assert newest > gone
        assert upload(api, supplier, newest, CSV).status_code == 201
        assert _evaluation_id(api, supplier, newest) > gone_evaluation
        assert api.delete(f"/assets/{newest}", headers=supplier.headers).status_code == 200
        newest_history = _entries(api, f"asset:{newest}")
        again = create(api, supplier, title="After a deletion")["id"]
        assert again > newest
        assert _entries(api, f"asset:{gone}") == gone_history
        assert _entries(api, f"asset:{newest}") == newest_history


def test_an_upgrade_leaving_a_dangling_reference_is_rolled_back(old_runtime: Runtime) -> None:
    """Migrations run with SQLite's foreign keys off (tables are rebuilt); the check before the
    commit refuses any row that points at nothing, and the database stays at its revision."""
    engine = old_runtime.engine
    with TestClient(create_app(runtime=old_runtime), raise_server_exceptions=False) as api:
        supplier = party(api, "alice@supplier.test", "Alice Data", ["supplier"])
    _back_at_0004(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute(
            "UPDATE organization_role SET organization_id = 999999 WHERE organization_id = ?",
            (supplier.organization_id,),
        )
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
    finally:
        raw.close()
    before = _all_rows(engine)

    with pytest.raises(RuntimeError, match="dangling foreign key"):
        upgrade(engine)

    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0004"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    assert _all_rows(engine) == before


# --- a database at another revision than this version's ---------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (a SQLite file, or a PostgreSQL schema)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.sqlite'}")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("DATABOURSE_TEST_POSTGRES_URL is not set")
    with own_schema(POSTGRES_URL, prefix="rev") as engine:
        yield engine


def test_a_server_starts_only_on_a_database_at_this_versions_revision(blank: Engine) -> None:
    """SQLite, the embedded database, is upgraded on start; another must have been upgraded
    (``bourse db upgrade``) before the server starts, else it is refused, saying so. A database
    a newer version migrated is refused on both, as is upgrading it."""
    upgrade(blank, "payouts")
    if blank.dialect.name == "sqlite":
        upgrade_embedded(blank)
    else:
        with pytest.raises(
            RevisionMismatch,
            match=r"payouts, not \w+: run `bourse db upgrade` first",
        ):
            upgrade_embedded(blank)
        upgrade(blank)
    check_at_head(blank)
    with blank.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'zz_future'")
    for step in (upgrade_embedded, upgrade, check_at_head):
        with pytest.raises(RevisionMismatch, match=r"'zz_future', .*: a newer version migrated it"):
            step(blank)


UPGRADE = (
    "import sys; from marketplace.cli import main; sys.argv = ['bourse', 'db', 'upgrade']; main()"
)


def test_two_upgrades_at_once_both_end_at_the_newest_revision(
    blank: Engine, tmp_path: Path
) -> None:
    """Two `bourse db upgrade` at once (two deploys), each a process of its own: the second
    waits for the first and finds nothing left to do; on PostgreSQL it once failed on
    alembic_version's unique key, with a traceback."""
    url = blank.url.render_as_string(hide_password=False)
    if blank.dialect.name == "postgresql":
        with blank.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        url += f"?options=-csearch_path%3D{schema}"
    env = {**os.environ, "DATABOURSE_DATABASE_URL": url}
    runs = [
        subprocess.Popen(  # noqa: S603 -- this interpreter, a fixed script
            [sys.executable, "-c", UPGRADE],
            env=env,
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "database is at the newest revision" in out
    check_at_head(blank)
