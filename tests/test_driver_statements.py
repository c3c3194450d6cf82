"""A statement run on the driver's cursor (``portable_sql.one_on_driver``) converts values as SQLAlchemy
would, its driver's errors come as SQLAlchemy's, and its cursor is the driver connection's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Integer, bindparam, event, literal, select
from sqlalchemy.exc import DBAPIError

from shopify_app.db import UTCDateTime, engine_for
from shopify_app.portable_sql import one_on_driver

_STATEMENT = select(
    bindparam("at", type_=UTCDateTime).label("at"),
    (literal(10) // bindparam("divisor", type_=Integer)).label("tenth"),
)


@pytest.fixture(autouse=True)
def _postgresql_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("the driver's cursor is PostgreSQL's one-statement path")


def test_times_come_back_in_utc_whatever_the_sessions_zone(app: Flask) -> None:
    at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    with engine_for(app).connect() as connection:
        connection.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")
        row = one_on_driver(connection, _STATEMENT, {"at": at, "divisor": 5})
        connection.rollback()
    assert row == {"at": at, "tenth": 2}
    assert row["at"].utcoffset() == dt.timedelta(0)


def test_a_driver_error_is_sqlalchemys_and_hides_the_parameters(app: Flask) -> None:
    with engine_for(app).connect() as connection:
        with pytest.raises(DBAPIError, match="division by zero") as raised:
            one_on_driver(connection, _STATEMENT, {"at": None, "divisor": 0})
        connection.rollback()
        assert one_on_driver(connection, _STATEMENT, {"at": None, "divisor": 1})["tenth"] == 10
    assert "parameters hidden" in str(raised.value)


def test_statements_share_their_connections_cursor_until_the_pool_replaces_it(app: Flask) -> None:
    engine = engine_for(app)
    cursors: list[Any] = []

    def sent(_connection: Any, cursor: Any, *_args: Any) -> None:
        cursors.append(cursor)

    event.listen(engine, "before_cursor_execute", sent)
    try:
        with engine.connect() as connection:
            one_on_driver(connection, _STATEMENT, {"at": None, "divisor": 1})
            one_on_driver(connection, _STATEMENT, {"at": None, "divisor": 1})
            connection.invalidate()
            connection.rollback()
            assert one_on_driver(connection, _STATEMENT, {"at": None, "divisor": 2})["tenth"] == 5
            connection.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", sent)
    assert cursors[0] is cursors[1]
    assert cursors[2].connection is not cursors[0].connection
