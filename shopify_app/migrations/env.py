"""Alembic environment: the app's models are the target, the app's engine the connection."""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy import Connection, create_engine

import shopify_app.models  # noqa: F401  (registers every table on Base.metadata)
from shopify_app.db import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    """Write the app's UTC type as a plain timezone-aware DateTime, so migrations import no app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Migrations rebuild SQLite tables by copying them; dropping the original with foreign keys
        # on would delete the rows that refer to it. The pragma is a no-op inside a transaction.
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
            raise RuntimeError("SQLite migrations need a connection outside a transaction")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    if hasattr(connection, "commit"):
        connection.commit()
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")


run_migrations_online()
