"""Unique constraints decide: INSERT … ON CONFLICT DO NOTHING, and savepoints that turn a violation into a 422."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnDefault, Executable, Table, bindparam, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from shopify_app.db import Base, hold_write_lock
from shopify_app.errors import FormErrors

M = TypeVar("M", bound=Base)


def insert_new(session: Session, model: type[M], values: dict[str, Any], conflict: list[str]) -> M | None:
    """The inserted row, or None when a row with the same ``conflict`` columns exists.

    A duplicate is skipped rather than failed, so concurrent writers get exactly one row and
    the caller's transaction stays usable.
    The INSERT returns the primary key and whatever the database filled in; the object is
    built from those and the values given, and joins the session as a persistent object,
    with no second query and no unit-of-work flush."""
    table = model.__table__
    row_values = _with_python_defaults(table, values)
    statement = _insert_new(table, tuple(row_values), tuple(conflict), returning=True)
    row = session.execute(statement, row_values).first()
    if row is None:
        return None
    instance = model(**{**row_values, **row._mapping})
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def insert_new_many(session: Session, model: type[M], rows: list[dict[str, Any]], conflict: list[str]) -> None:
    """``insert_new`` for many rows of the same columns in one executemany (pipelined by psycopg),
    with no rows returned: the rows whose ``conflict`` columns exist already are skipped."""
    if not rows:
        return
    table = model.__table__
    rows = [_with_python_defaults(table, values) for values in rows]
    session.execute(_insert_new(table, tuple(rows[0]), tuple(conflict), returning=False), rows)


@functools.cache
def _insert_new(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], *,
                returning: bool) -> Executable:
    """``INSERT … ON CONFLICT (…) DO NOTHING [RETURNING …]``, which PostgreSQL and SQLite spell
    alike, built once per table and column set. SQLAlchemy 2.0 compiles its dialect INSERT
    constructs anew on every execution (they are not cacheable), about a millisecond of CPU
    each time; this text statement is compiled once and its parameters keep the columns' types.
    It returns the primary key (so a skipped row returns nothing) and the columns it leaves
    to the database: a narrow result is cheaper to read."""
    def names(keys: Iterable[str]) -> str:
        return ", ".join(f'"{table.c[key].name}"' for key in keys)

    sql = (
        f'INSERT INTO "{table.name}" ({names(columns)}) VALUES ({", ".join(":" + key for key in columns)}) '
        f"ON CONFLICT ({names(conflict)}) DO NOTHING"
    )
    parameters = [bindparam(key, type_=table.c[key].type) for key in columns]
    if not returning:
        return text(sql).bindparams(*parameters)
    returned = [column for column in table.columns if column.primary_key or column.key not in columns]
    sql += f" RETURNING {names(column.key for column in returned)}"
    return text(sql).bindparams(*parameters).columns(*returned)


def _with_python_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus the model's Python-side defaults (ids, timestamps, flags) for the
    columns it leaves out, as the ORM would fill them; the database fills the rest."""
    row = dict(values)
    for column in table.columns:
        default = column.default
        if column.key in row or not isinstance(default, ColumnDefault):
            continue
        # A callable default is stored wrapped to take the execution context, which it ignores.
        row[column.key] = default.arg(None) if default.is_callable else default.arg
    return row


@contextmanager
def unique_or_field_error(session: Session, field: str, message: str) -> Iterator[None]:
    """Writes in a savepoint: when they break a unique constraint (a request at the same moment
    wrote the same first), ``field`` gets ``message`` as its error (422), and the request's
    transaction stays usable for the page that shows it."""
    hold_write_lock(session)
    try:
        with session.begin_nested():
            yield
    except IntegrityError as error:
        if not _unique_violation(error):
            raise
        raise FormErrors({field: message}) from None


def _unique_violation(error: IntegrityError) -> bool:
    cause = error.orig
    return getattr(cause, "sqlstate", None) == "23505" or (  # PostgreSQL
        getattr(cause, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE")
