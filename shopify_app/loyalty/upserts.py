"""INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite: the database decides what is new."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopify_app.db import Base

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

M = TypeVar("M", bound=Base)


def insert_new(session: Session, model: type[M], values: dict[str, Any], conflict: list[str]) -> M | None:
    """The inserted row, or None when a row with the same ``conflict`` columns exists.

    A duplicate is skipped rather than failed, so concurrent writers get exactly one row and
    the caller's transaction stays usable."""
    insert = _DIALECT_INSERTS[session.get_bind().dialect.name]
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict).returning(model)
    return session.scalars(statement).first()
