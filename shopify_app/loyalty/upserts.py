"""INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite: the database decides what is new."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from shopify_app.db import Base

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

M = TypeVar("M", bound=Base)


def insert_ignoring(session: Session, target: Any, conflict: list[str], values: dict[str, Any] | None = None) -> Insert:
    """INSERT into ``target`` (a model, or its table for a lighter Core statement) that skips a
    row whose ``conflict`` columns exist already. Without ``values`` the statement takes them
    as execution parameters, and its compiled form is reused from the cache.

    A duplicate is skipped rather than failed, so concurrent writers get exactly one row and
    the caller's transaction stays usable."""
    insert = _DIALECT_INSERTS[session.get_bind().dialect.name](target)
    return (insert.values(**values) if values else insert).on_conflict_do_nothing(index_elements=conflict)  # type: ignore[no-any-return]


def insert_new(session: Session, model: type[M], values: dict[str, Any], conflict: list[str]) -> M | None:
    """The inserted row, or None when a row with the same ``conflict`` columns exists.

    A Core INSERT … RETURNING the table's columns, whose row then joins the session as a
    persistent object: several times cheaper than the ORM's RETURNING of an entity, which
    matters on the award's hot path."""
    table = model.__table__
    statement = insert_ignoring(session, table, conflict).returning(*table.columns)
    row = session.execute(statement, values).first()
    if row is None:
        return None
    instance = model(**row._mapping)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
