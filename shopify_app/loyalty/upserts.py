"""INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite: the database decides what is new."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

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
    """The inserted row, or None when a row with the same ``conflict`` columns exists."""
    return session.scalars(insert_ignoring(session, model, conflict, values).returning(model)).first()
