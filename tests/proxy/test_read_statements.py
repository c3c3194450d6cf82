"""What a storefront or API read of a member costs the database: the member summary is one statement,
its rows Core rows; the storefront's shop comes from the worker's cache, the API's from its key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.models import Shop
from shopify_app.proxy.auth import storefront_shops
from shopify_app.shops.cache import SHOP_CACHE_SECONDS
from tests.proxy.signing import signed_query


@contextmanager
def database_work(app: Flask) -> Iterator[tuple[list[str], list[str]]]:
    """The statements sent, and the ORM objects loaded (by table), while the block runs."""
    statements: list[str] = []
    loaded: list[str] = []

    def sent(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def load(_session: Session, instance: Any) -> None:
        loaded.append(instance.__tablename__)

    engine = engine_for(app)
    event.listen(engine, "before_cursor_execute", sent)
    event.listen(Session, "loaded_as_persistent", load)
    try:
        yield statements, loaded
    finally:
        event.remove(engine, "before_cursor_execute", sent)
        event.remove(Session, "loaded_as_persistent", load)


def test_the_storefronts_customer_is_one_statement_once_the_shop_is_cached(
        client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with database_work(app) as (cold, cold_loaded):
        first = client.get(f"/proxy/customer?{signed_query('1001')}")
    with database_work(app) as (warm, warm_loaded):
        again = client.get(f"/proxy/customer?{signed_query('1002')}")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["data"]["id"] == "1002"
    assert len(cold) == 2 and "FROM shops" in cold[0] and "FROM customers" in cold[1]
    assert len(warm) == 1 and "FROM customers" in warm[0] and "earning_entries" in warm[0]
    assert cold_loaded == warm_loaded == []


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


def test_the_apis_customer_is_the_key_and_one_statement(client: FlaskClient, app: Flask,
                                                        demo_shop: dict[str, Any]) -> None:
    auth = {"Authorization": demo_shop["api_key"]}
    assert client.get("/v1/customers/1001", headers=auth).status_code == 200  # the key's last use recorded
    with database_work(app) as (statements, loaded):
        answer = client.get("/v1/customers/new@example.com", headers=auth)
    assert answer.status_code == 200 and answer.json["data"]["id"] == "1002"
    assert len(statements) == 2 and "FROM api_keys" in statements[0] and "earning_entries" in statements[1]
    assert set(loaded) <= {"api_keys", "shops", "program_settings"}  # the key's rows; no customer or tier
