"""Alembic migrations, run programmatically (``bourse db upgrade``, and on start for SQLite)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

_HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def upgrade_embedded(engine: Engine) -> None:
    """The embedded database (SQLite) is upgraded on start; servers run ``bourse db upgrade``."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
