"""Alembic migrations, run programmatically (``bourse db upgrade``, and on start for SQLite);
any other database is checked at the newest revision on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine

from marketplace.db import RevisionMismatch

_HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``; RevisionMismatch when the database was migrated
    by a newer version (alembic does not know its revision)."""
    config = alembic_config(engine)
    try:
        command.upgrade(config, revision)
    except CommandError:
        current = _current(engine)
        if current is None or current in _known(config):
            raise
        raise RevisionMismatch(_newer(current)) from None


def check_at_head(engine: Engine) -> None:
    """RevisionMismatch unless the database is at the newest revision this version knows: a
    server started before ``bourse db upgrade`` would serve, and fail wherever a new column is
    read (the anchoring worker for ever)."""
    config = alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    current = _current(engine)
    if current == head:
        return
    if current is not None and current not in _known(config):
        raise RevisionMismatch(_newer(current))
    raise RevisionMismatch(
        f"the database is at revision {current or '(none)'}, not {head}: run `bourse db upgrade` "
        "first"
    )


def _known(config: Config) -> set[str]:
    return {r.revision for r in ScriptDirectory.from_config(config).walk_revisions()}


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _newer(current: str | None) -> str:
    return (
        f"the database is at revision {current!r}, which this version of Databourse does not "
        "know: a newer version migrated it; run that version"
    )


def upgrade_embedded(engine: Engine) -> None:
    """On start: the embedded database (SQLite) is upgraded; any other must be at the newest
    revision already (``bourse db upgrade``, run before every start of a new version), or
    RevisionMismatch."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    else:
        check_at_head(engine)
