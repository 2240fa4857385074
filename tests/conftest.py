"""Shared fixtures: every database-touching test runs on SQLite and, when
``DATABOURSE_TEST_POSTGRES_URL`` is set, on that PostgreSQL server too.

Isolation: SQLite gets a fresh file per test; PostgreSQL gets one schema per test session (so
concurrent runs never meet) that is truncated after each test.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from marketplace.app import create_app
from marketplace.db import make_engine
from marketplace.identity import passwords
from marketplace.migrations import upgrade
from marketplace.runtime import Runtime
from marketplace.settings import Settings
from marketplace.tables import metadata

pytest_plugins = ["tests.chain_fixtures", "tests.browser_fixtures"]

# A pytest-xdist worker starts with COLUMNS=80 and LINES=24 in its environment. The CLI's rich
# consoles are made at import and would keep that width for good, ignoring the COLUMNS each CLI
# test passes to its invocation; without them they read the size at each print, as in a serial run.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

POSTGRES_URL = os.environ.get("DATABOURSE_TEST_POSTGRES_URL")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]

# Production hashes passwords with argon2id at RFC 9106's cost (64 MiB, t=3, p=4: about 0.2 s
# a hash on a CI machine); a test that signs up three parties spent most of its time there.
# Tests hash with argon2id at its cheapest instead. The production hasher is kept here, and
# ``production_password_hashing`` puts it back for the tests of the hashing itself
# (tests/marketplace/identity/test_secrets_at_rest.py, which checks its parameters). Servers
# started as subprocesses (tests/e2e) hash at production cost.
PRODUCTION_PASSWORD_HASHER = passwords._hasher
PRODUCTION_DUMMY_HASH = passwords._DUMMY_HASH
TEST_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_hasher", TEST_PASSWORD_HASHER)
        mp.setattr(passwords, "_DUMMY_HASH", TEST_PASSWORD_HASHER.hash("test-dummy-password"))
        yield


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed and checked at production cost for this test."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION_PASSWORD_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", PRODUCTION_DUMMY_HASH)


def create_tables(engine: Engine) -> None:
    """The schema as production gets it: through the migrations."""
    upgrade(engine)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "databourse.sqlite"
    eng = make_engine(f"sqlite:///{path}")
    create_tables(eng)
    eng.dispose()
    return path


@contextmanager
def own_schema(url: str, prefix: str = "t") -> Iterator[Engine]:
    """An engine on the PostgreSQL database at ``url`` whose tables live in a schema of its own,
    dropped (with everything in it) when the block ends: runs that share the database (test
    sessions, benches) never meet."""
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def scratch_database(url: str | None, directory: Path) -> Iterator[Engine]:
    """A migrated database for a bench: a SQLite file in ``directory`` by default; on a
    PostgreSQL ``url``, a schema of its own there, dropped afterwards."""
    if url is None or make_url(url).get_backend_name() == "sqlite":
        engine = make_engine(url or f"sqlite:///{directory / 'bench.sqlite'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with own_schema(url, prefix="bench") as engine:
        upgrade(engine)
        yield engine


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("DATABOURSE_TEST_POSTGRES_URL is not set")
    with own_schema(POSTGRES_URL) as engine:
        create_tables(engine)
        yield engine


def _truncate_all(engine: Engine) -> None:
    """Empties every table and restarts every used sequence at its start, as a fresh schema has
    them. DELETE and setval rather than TRUNCATE ... RESTART IDENTITY: TRUNCATE gives every
    table, index and sequence a new file, about a second for the schema, twice a test."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):  # children before parents
            conn.execute(table.delete())
        used = conn.execute(
            text(
                "SELECT format('%I.%I', schemaname, sequencename), start_value FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        ).all()
        for sequence, start in used:
            conn.execute(
                text("SELECT setval(:sequence, :start, false)"),
                {"sequence": sequence, "start": start},
            )


@pytest.fixture(params=DATABASES)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database with no rows, on each backend under test."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "databourse.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("postgres_engine")
        _truncate_all(eng)
        try:
            yield eng
        finally:
            _truncate_all(eng)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def production_values(**overrides: object) -> dict[str, object]:
    """Settings production mode accepts (strong secrets, a chain on the network), as field
    values, with ``overrides``; ``production_env`` gives them as DATABOURSE_* variables."""
    return {
        "mode": "production",
        "secret_key": "s" * 48,
        "master_key": "ab" * 32,
        "anchor_recorder_key": "0x" + "12" * 32,
        "payment_webhook_secret": "p" * 40,
        "chain_url": "http://127.0.0.1:9",
        **overrides,
    }


def production_env(monkeypatch: pytest.MonkeyPatch, **overrides: object) -> None:
    for name, value in production_values(**overrides).items():
        monkeypatch.setenv(f"DATABOURSE_{name.upper()}", str(value))


def settings_for(engine: Engine, **overrides: object) -> Settings:
    """Settings for an app under test on ``engine``: development mode, no in-process worker."""
    values: dict[str, object] = {
        "mode": "development",
        "database_url": engine.url.render_as_string(hide_password=False),
        "chain_url": "eth-tester://",
        "worker_in_process": False,
        "log_level": "WARNING",
        # Every TestClient request comes from one network ("testclient"), and a test's world may
        # sign up more accounts than one network may in an hour; the abuse-limit tests set the
        # limits they test (tests/marketplace/ratelimit/).
        "signups_per_network_max": 100_000,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    """A runtime on the test database, without a chain."""
    return Runtime(settings=settings_for(engine), engine=engine)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as c:
        yield c


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Prints the figures a suite records as a ``fuzz_requests`` property (requests sent per
    identity and mode: tests/e2e/test_api_fuzz.py), so that CI output shows them, xdist or not."""
    lines = [
        f"{report.nodeid}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "fuzz_requests"
    ]
    if lines:
        terminalreporter.write_sep("-", "requests sent by the API fuzzer")
        for line in lines:
            terminalreporter.write_line(line)
