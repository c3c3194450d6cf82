"""The admin's tables and indexes: the migrations build exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shopify_app.db import Base, engine_for


def test_models_match_the_migrated_schema(app) -> None:
    with engine_for(app).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
