"""The migrations build exactly the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from marketplace.tables import metadata


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrations_record_their_revision(engine: Engine) -> None:
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
    assert "alembic_version" in inspect(engine).get_table_names()
