"""Pooled connections: one the database closed while it sat idle is replaced before a request gets it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, exc, text
from sqlalchemy.pool import NullPool

from shopify_app import db


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("closing a connection from the server side needs PostgreSQL")
    return database_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = db.make_engine(postgres_url)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def close_pooled_connection(
    engine: Engine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[[float], int]:
    """Use a pooled connection, then close it from the server's side as a database restart
    would, with the given idle time before a ping; returns its backend pid."""
    def close(idle_ping_seconds: float) -> int:
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", idle_ping_seconds)
        pid = backend_pid(engine)
        # Autocommit: within one transaction PostgreSQL answers pg_stat_activity from a cached
        # snapshot, so a poll in a single transaction would never see the backend leave.
        admin = create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                deadline = time.monotonic() + 30
                while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                         {"pid": pid}).scalar_one():
                    assert time.monotonic() < deadline, "the backend did not exit"
                    time.sleep(0.05)
        finally:
            admin.dispose()
        return pid

    return close


def test_an_idle_connection_closed_by_the_server_is_replaced_before_use(
    engine: Engine, close_pooled_connection: Callable[[float], int]
) -> None:
    pid = close_pooled_connection(0.0)

    assert backend_pid(engine) != pid


def test_a_connection_in_steady_use_is_not_pinged_and_a_failure_renews_the_pool(
    engine: Engine, close_pooled_connection: Callable[[float], int]
) -> None:
    pid = close_pooled_connection(3600.0)

    # No ping: the closed connection reaches the caller, whose statement fails...
    with pytest.raises(exc.OperationalError) as failure:
        backend_pid(engine)
    assert failure.value.connection_invalidated
    # ...and the pool is renewed, so the next checkout works.
    assert backend_pid(engine) != pid


def test_lone_statements_run_on_connections_born_autocommit_that_nothing_resets(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lone = db.make_engine(postgres_url, autocommit=True)
    try:
        rollbacks: list[object] = []
        monkeypatch.setattr(lone.dialect, "reset_isolation_level",
                            lambda *_args: pytest.fail("the isolation level was reset on return"))
        with lone.connect() as connection:
            dbapi_connection = connection.connection.dbapi_connection
            assert dbapi_connection is not None and dbapi_connection.autocommit
            monkeypatch.setattr(dbapi_connection, "rollback", lambda: rollbacks.append(True), raising=False)
            connection.execute(text("SELECT 1"))
            # No transaction is left open by the statement.
            assert dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert rollbacks == []
        with lone.connect() as connection:
            assert connection.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
    finally:
        lone.dispose()
