"""SQL that PostgreSQL and SQLite spell differently: days after a time, a JSON object, a statement compiled once
(and run on the driver's cursor)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

import psycopg
from sqlalchemy import JSON, ClauseElement, Connection, CursorResult, TextClause, TextualSelect, bindparam, column, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from shopify_app.db import UTCDateTime


class days_after(FunctionElement[Any]):
    """``start`` plus ``days`` whole days (an integer column or parameter)."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(days_after, "postgresql")
def _days_after_postgresql(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    start, days = element.clauses
    return f"({compiler.process(start, **kw)} + make_interval(days => {compiler.process(days, **kw)}))"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'; %f gives milliseconds,
    # which is all the app's times carry (clock.utcnow), so three zeros complete the microseconds.
    start, days = element.clauses
    return (f"strftime('%Y-%m-%d %H:%M:%f000', {compiler.process(start, **kw)}, "
            f"'+' || {compiler.process(days, **kw)} || ' days')")


class json_object(FunctionElement[Any]):
    """A JSON object of alternating keys and values, built by the database."""

    type = JSON()
    inherit_cache = True


@compiles(json_object, "postgresql")
def _json_object_postgresql(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


class _ConstantsInline(SQLCompiler):
    """Writes a constant (a ``literal()``, a string or number in an expression) into the SQL rather than
    as a parameter: the driver then adapts only the caller's values (an earning's 68 parameters
    become 13)."""

    def visit_bindparam(self, bindparam: Any, within_columns_clause: Any = False, literal_binds: Any = False,
                        skip_bind_expression: Any = False, literal_execute: Any = False,
                        render_postcompile: Any = False, **kw: Any) -> Any:
        constant = (not bindparam.required and bindparam.callable is None and bindparam.value is not None
                    and bindparam.type.literal_processor(self.dialect) is not None)
        return super().visit_bindparam(bindparam, within_columns_clause, literal_binds or constant,
                                       skip_bind_expression, literal_execute, render_postcompile, **kw)


@functools.cache
def compiled_once(statement: ClauseElement, dialect: Dialect) -> TextClause | TextualSelect:
    """``statement`` as the text ``dialect`` runs, compiled on first use and kept, with its
    parameters' and result columns' types. SQLAlchemy 2.0 compiles a dialect's ``INSERT … ON
    CONFLICT`` anew on every execution (about a millisecond of CPU each; docs/architecture.md,
    "Hot-path statements"), and so any statement that holds one, a CTE included."""
    # PostgreSQL's base dialect: psycopg's would write casts after each parameter (":a::VARCHAR"),
    # which text() would misread; psycopg types the parameters itself.
    named = PGDialect(paramstyle="named") if dialect.name == "postgresql" else cast(Any, type(dialect))(
        paramstyle="named")
    named.statement_compiler = type(f"Inline{named.statement_compiler.__name__}",
                                    (_ConstantsInline, named.statement_compiler), {})
    # An IN list must hold literal() elements: an expanding parameter is filled in at execution,
    # which text() cannot.
    compiled = cast(SQLCompiler, statement.compile(dialect=named))
    types = {name: parameter.type for parameter, name in compiled.bind_names.items()}
    # A literal's parameter keeps its value as a default; the caller's parameters give the others.
    defaults = compiled.construct_params(_check=False) or {}
    clause = text(compiled.string).bindparams(*(
        bindparam(name, value, type_=types.get(name)) for name, value in defaults.items()))
    # What a SELECT or a RETURNING gives, typed, so that its values come back as the columns' types.
    returned = [column(c.key, c.type) for c in getattr(statement, "exported_columns", ())]
    return clause.columns(*returned) if returned else clause


def dialect_name(on: Session | Connection) -> str:
    """The name of the database a session or a connection talks to ("postgresql", "sqlite")."""
    return (on.get_bind() if isinstance(on, Session) else on).dialect.name


def execute_compiled(on: Session | Connection, statement: ClauseElement,
                     parameters: dict[str, Any] | list[dict[str, Any]]) -> CursorResult[Any]:
    """``statement``, compiled once for the database, run as Core on the connection (or the session's):
    a hot path skips the ORM's execution (its events, its look for entities), which flushes nothing
    before a textual statement either."""
    connection = _connection(on)
    return connection.execute(compiled_once(statement, connection.dialect), parameters)


class DriverStatement:
    """A statement as the driver takes it: its SQL in the driver's placeholders, its constants, how each
    parameter and result value is converted (as SQLAlchemy would), and its result columns' names."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        clause = compiled_once(statement, dialect)
        compiled = clause.compile(dialect=dialect)
        self.sql = compiled.string
        self.defaults = compiled.construct_params(_check=False) or {}
        self.bind_processors = {
            name: processor for name, parameter in compiled.binds.items()
            if (processor := parameter.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        self.columns = list(clause.selected_columns) if isinstance(clause, TextualSelect) else []
        self.names = [c.key for c in self.columns]
        # Read from the first result's description: a driver's converter may depend on the type it sends.
        self.result_processors: list[tuple[int, Callable[[Any], Any]]] | None = None

    def values(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """The parameters, with the statement's constants, each converted for the driver."""
        values = {**self.defaults, **parameters}
        for name, to_driver in self.bind_processors.items():
            values[name] = to_driver(values[name])
        return values

    def processors_for(self, dialect: Dialect, cursor: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        if self.result_processors is None:  # psycopg builds the description anew on each reading
            self.result_processors = [
                (index, processor)
                for index, (c, described) in enumerate(zip(self.columns, cursor.description, strict=True))
                if (processor := c.type.dialect_impl(dialect).result_processor(dialect, described[1])) is not None]
        return self.result_processors


_KEPT_CURSOR = "portable_sql.first_on_driver.cursor"


@functools.cache
def driver_statement(statement: ClauseElement, dialect: Dialect) -> DriverStatement:
    """``statement`` as the driver takes it, built once per statement and dialect."""
    return DriverStatement(statement, dialect)


def one_on_driver(on: Session | Connection, statement: ClauseElement, parameters: dict[str, Any]) -> dict[str, Any]:
    """The one row of ``statement`` by its columns' names, from ``first_on_driver``."""
    row = first_on_driver(on, statement, parameters)
    if row is None:
        raise NoResultFound("The statement returned no row")
    return dict(zip(driver_statement(statement, _connection(on).dialect).names, row, strict=True))


def first_on_driver(on: Session | Connection, statement: ClauseElement,
                    parameters: dict[str, Any]) -> list[Any] | None:
    """The first row of ``statement`` (a SELECT, compiled once) by position, or None, run as a prepared
    statement on the connection's (or the session's) driver cursor, on PostgreSQL: for one long
    statement on a hot path, SQLAlchemy's execution and result (its cache look-up, its result
    metadata, its rows) cost more CPU than psycopg's whole work (docs/architecture.md, "Hot-path
    statements"). Its events before and after the cursor runs still fire, and a driver's error
    comes as SQLAlchemy's (a lost connection invalidated)."""
    connection = _connection(on)
    driver = driver_statement(statement, connection.dialect)
    values = driver.values(parameters)
    if not connection.in_transaction():
        connection.begin()  # as Connection.execute would: the caller's commit or rollback then ends it
    pooled = connection.connection
    dbapi_connection = pooled.dbapi_connection
    assert dbapi_connection is not None  # None only once invalidated, and then connection.connection reconnects
    # One cursor per driver connection, kept in the pool's info for it (emptied when the pool replaces the
    # connection): a cursor a statement would cost psycopg its set-up and its look-up of the columns' loaders.
    cursor = pooled.info.get(_KEPT_CURSOR)
    if cursor is None:
        cursor = pooled.info[_KEPT_CURSOR] = dbapi_connection.cursor()
    try:
        connection.dispatch.before_cursor_execute(connection, cursor, driver.sql, values, None, False)
        cast("psycopg.Cursor[Any]", cursor).execute(driver.sql, values, prepare=True)
        connection.dispatch.after_cursor_execute(connection, cursor, driver.sql, values, None, False)
        fetched = cursor.fetchone()
        processors = driver.processors_for(connection.dialect, cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        lost = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(driver.sql, values, error, connection.dialect.loaded_dbapi.Error,
                                  hide_parameters=connection.engine.hide_parameters, dialect=connection.dialect,
                                  connection_invalidated=lost) from error
    if fetched is None:
        return None
    row = list(fetched)
    for index, from_driver in processors:
        row[index] = from_driver(row[index])
    return row


def _connection(on: Session | Connection) -> Connection:
    return on.connection() if isinstance(on, Session) else on
