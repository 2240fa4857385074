"""Alembic environment: runs against the engine handed over in ``config.attributes``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Engine
from sqlmodel.sql.sqltypes import AutoString

from marketplace.tables import metadata

config = context.config
engine: Engine = config.attributes["engine"]


def render_item(kind: str, obj: Any, _ctx: AutogenContext) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain ``sa.String`` so revisions need no sqlmodel."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
