"""Declarative base, engine construction and the request-scoped session."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from flask import Flask, current_app, g
from psycopg import _queries as psycopg_queries
from sqlalchemy import BigInteger, Connection, DateTime, Engine, MetaData, Table, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use shopify_app.clock.utcnow()")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


# Points are 64-bit everywhere: a shop in IDR or VND at 1 point per unit earns billions.
Points = Annotated[int, mapped_column(BigInteger)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[type, type]] = {dt.datetime: UTCDateTime}
    if TYPE_CHECKING:
        # Every model maps a table (none a join or a select), which SQLAlchemy types as any FromClause.
        __table__: ClassVar[Table]


# Per engine of a process: a thread holds at most one connection of the two engines at a time
# (docs/scaling.md), so the pools stay within the threads' count in use.
POOL_SIZE = 10
POOL_OVERFLOW = 20


def make_engine(url: str, *, autocommit: bool = False) -> Engine:
    """The engine of ``url``; with ``autocommit`` (PostgreSQL only), one whose connections autocommit
    from birth, for lone statements (``lone_statement_connection``)."""
    # hide_parameters: SQLAlchemy's exception text and logs would otherwise repeat a failed
    # statement's parameters (emails, names) wherever an error is logged or stored.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Autocommit from birth, not switched on at each checkout and reset at each return (SQLAlchemy's
    # isolation_level execution option does both), and no rollback on return: there is no transaction.
    isolation = {"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True} if autocommit else {}
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, hide_parameters=True, **isolation)
    _ping_idle_connections(engine)
    _keep_converted_queries()
    return engine



# psycopg turns a query's %(name)s placeholders into $n on every execution, and keeps the result
# only for queries of at most this many characters (4,096 as it comes): the one-statement points
# changes run to 7,000 and more, and converting one anew costs more than the rest of psycopg's
# work on it. Its cache holds 128 queries, least recently used out first.
CONVERTED_QUERY_CHARACTERS = 16_384


def _keep_converted_queries() -> None:
    psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(psycopg_queries.MAX_CACHED_STATEMENT_LENGTH,
                                                      CONVERTED_QUERY_CHARACTERS)


# A pooled connection idle this long is pinged before use, so one that a database restart
# closed is replaced rather than failing a request. SQLAlchemy's pool_pre_ping pings on every
# checkout instead: one more round trip for every request of a busy worker.
IDLE_PING_SECONDS = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def remember_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one.
            raise exc.DisconnectionError() from error


def hold_write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now rather than at the transaction's first write.

    SQLite has no row locks (it leaves out FOR UPDATE) and the driver opens a transaction only at
    the first write, so what a transaction reads before it may be stale by then, and a SAVEPOINT
    before it would open (and its RELEASE commit) a transaction of its own. Nothing on PostgreSQL."""
    connection = session.connection()
    dbapi_connection = connection.connection.dbapi_connection  # None only once invalidated
    if connection.dialect.name == "sqlite" and dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask, database_url: str) -> None:
    engine = make_engine(database_url)
    app.extensions["db_engine"] = engine
    # A pool opens connections only when asked for them: an app that runs no lone statement opens none.
    app.extensions["db_lone_engine"] = (make_engine(database_url, autocommit=True)
                                        if engine.dialect.name == "postgresql" else engine)
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def sessionmaker_for(app: Flask) -> sessionmaker[Session]:
    return app.extensions["db_sessionmaker"]  # type: ignore[no-any-return]


def engine_for(app: Flask) -> Engine:
    return app.extensions["db_engine"]  # type: ignore[no-any-return]


def lone_statement_engine(app: Flask) -> Engine:
    """The engine of ``lone_statement_connection``: on PostgreSQL one of its own on the same URL whose
    connections autocommit, on SQLite the app's."""
    return app.extensions["db_lone_engine"]  # type: ignore[no-any-return]


def dispose(app: Flask) -> None:
    """Close the pooled connections of both the app's engines."""
    engine_for(app).dispose()
    lone_statement_engine(app).dispose()


def get_session() -> Session:
    """The session of the current request; the view that changes data commits it."""
    if "db_session" not in g:
        g.db_session = sessionmaker_for(current_app)()
    return g.db_session  # type: ignore[no-any-return]


def lone_statement_connection() -> Connection:
    """The request's connection for a view whose whole work is one statement (an award, a member's
    summary): Core on a connection of its own, none of the session's machinery (its transaction
    states, its flush, its close) around the statement. It autocommits on PostgreSQL, so the
    statement is a transaction by itself and PostgreSQL is sent no BEGIN and COMMIT (or ROLLBACK)
    around it, one round trip where there were three; on SQLite, whose points change is several
    statements, a view that writes commits it. What the request's session read or wrote before is
    committed first, which hands its connection back to the pool for this one; it goes back itself
    at teardown."""
    connection: Connection | None = g.get("db_lone_connection")
    if connection is None:
        session: Session | None = g.get("db_session")
        if session is not None and session.in_transaction():
            session.commit()
        connection = lone_statement_engine(current_app).connect()
        g.db_lone_connection = connection
    return connection


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    connection = g.pop("db_lone_connection", None)
    if connection is not None:
        connection.close()
