"""What the hot paths cost the database: a storefront or API read of a member and an award are one
statement each, sent on PostgreSQL with no BEGIN and COMMIT around it; the rows read are Core rows;
the storefront's shop comes from the worker's cache, the API's from its key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg import _queries as psycopg_queries
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from shopify_app.db import engine_for, lone_statement_engine, sessionmaker_for
from shopify_app.loyalty.earning.awards import AWARD_STATEMENTS
from shopify_app.loyalty.ledger import adjustments
from shopify_app.models import Customer, Shop
from shopify_app.portable_sql import compiled_once
from shopify_app.proxy.auth import storefront_shops
from shopify_app.shops.cache import SHOP_CACHE_SECONDS
from tests.proxy.signing import signed_query


@dataclass
class DatabaseWork:
    statements: list[str] = field(default_factory=list)
    # Per statement, whether it ran alone in autocommit on PostgreSQL, its own transaction, rather than
    # in a block (BEGIN … COMMIT: two more round trips).
    autocommitted: list[bool] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)  # the ORM objects loaded, by table
    session_transactions: int = 0  # begun by ORM sessions: a read with a kept shop or key needs none


@contextmanager
def database_work(app: Flask) -> Iterator[DatabaseWork]:
    """What the app sent to the database, and loaded from it, while the block runs."""
    work = DatabaseWork()

    def sent(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        work.statements.append(statement)
        work.autocommitted.append(getattr(connection.connection.dbapi_connection, "autocommit", False) is True)

    def load(_session: Session, instance: Any) -> None:
        work.loaded.append(instance.__tablename__)

    def begun(_session: Session, transaction: Any) -> None:
        work.session_transactions += transaction.parent is None

    # The session's engine and the lone statements' (the same one on SQLite).
    engines = {engine_for(app), lone_statement_engine(app)}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", sent)
    event.listen(Session, "loaded_as_persistent", load)
    event.listen(Session, "after_transaction_create", begun)
    try:
        yield work
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", sent)
        event.remove(Session, "loaded_as_persistent", load)
        event.remove(Session, "after_transaction_create", begun)


def test_the_storefronts_customer_is_one_statement_once_the_shop_is_cached(
        client: FlaskClient, app: Flask, demo_shop: dict[str, Any], is_postgres: bool) -> None:
    with database_work(app) as cold:
        first = client.get(f"/proxy/customer?{signed_query('1001')}")
    with database_work(app) as warm:
        again = client.get(f"/proxy/customer?{signed_query('1002')}")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["data"]["id"] == "1002"
    assert len(cold.statements) == 2 and "FROM shops" in cold.statements[0] and "FROM customers" in cold.statements[1]
    assert len(warm.statements) == 1 and "FROM customers" in warm.statements[0]
    assert "earning_entries" in warm.statements[0]
    assert cold.loaded == warm.loaded == []
    assert warm.autocommitted == [is_postgres]
    assert warm.session_transactions == 0  # the summary runs on a Core connection of its own


def test_an_uninstall_reaches_the_storefront_when_the_cached_shop_expires(
        client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    assert client.get(f"/proxy/customer?{signed_query('1001')}").status_code == 200
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, demo_shop["shop_id"])
        shop.uninstalled_at = shop.created_at
    assert client.get(f"/proxy/customer?{signed_query('1001')}").status_code == 200  # within the cache's seconds
    cache = storefront_shops(app)
    clock, cache.clock = cache.clock, lambda: clock() + SHOP_CACHE_SECONDS  # the seconds have passed
    try:
        assert client.get(f"/proxy/customer?{signed_query('1001')}").status_code == 404
    finally:
        cache.clock = clock


def test_the_apis_customer_is_one_statement_once_the_key_is_cached(
        client: FlaskClient, app: Flask, demo_shop: dict[str, Any], is_postgres: bool) -> None:
    auth = {"Authorization": demo_shop["api_key"]}
    assert client.get("/v1/customers/1001", headers=auth).status_code == 200  # the key found, then kept
    with database_work(app) as work:
        answer = client.get("/v1/customers/new@example.com", headers=auth)
    assert answer.status_code == 200 and answer.json["data"]["id"] == "1002"
    assert len(work.statements) == 1 and "earning_entries" in work.statements[0]
    assert not work.loaded  # Core rows: no customer, tier or key object
    assert work.autocommitted == [is_postgres]
    assert work.session_transactions == 0


def test_an_award_is_one_statement_on_postgresql_and_a_transaction_on_sqlite(
        client: FlaskClient, app: Flask, demo_shop: dict[str, Any], is_postgres: bool) -> None:
    auth = {"Authorization": demo_shop["api_key"]}
    url = f"/v1/earning-rules/{demo_shop['rules']['follow_on_instagram']}/award"
    assert client.post(url, headers=auth, json={"customer_identifier": "1001"}).status_code == 201
    with database_work(app) as work:
        answer = client.post(url, headers=auth, json={"customer_identifier": "1002"})
        refused = client.post(url, headers=auth, json={"customer_identifier": "1002"})
    assert (answer.status_code, refused.status_code) == (201, 409)
    if is_postgres:
        assert work.autocommitted == [True, True]  # each its own transaction: one round trip
        assert all(statement.startswith("WITH candidate") for statement in work.statements)
    else:
        assert len(work.statements) > 2 and not any(work.autocommitted)
    assert not work.loaded and work.session_transactions == 0  # Core on the request's connection, no session
    assert customer_points(app, demo_shop["shop_id"], "1002") == answer.json["data"]["attributes"]["points"]


def customer_points(app: Flask, shop_id: str, shopify_id: str) -> int:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Customer.current_points).where(
            Customer.shop_id == shop_id, Customer.shopify_customer_id == shopify_id)).one()


def test_psycopg_keeps_the_one_statement_changes_converted(app: Flask, is_postgres: bool) -> None:
    """psycopg converts a query's placeholders anew on every execution unless it is short enough
    to be kept; the engine raises that length past the longest one-statement change."""
    if not is_postgres:
        pytest.skip("psycopg's conversion of placeholders: PostgreSQL only")
    longest = max(len(str(compiled_once(statement, engine_for(app).dialect)))
                  for statement in (AWARD_STATEMENTS["shopify_id"].together, adjustments._REMOVE.together))
    assert longest > 4096
    assert longest <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
