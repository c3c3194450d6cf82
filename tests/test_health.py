"""Liveness, readiness, and migrations that match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import Base, engine_for


def test_healthz_touches_nothing(app_config: Config) -> None:
    broken = create_app(app_config.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/x",
                                                          "redis_url": "redis://127.0.0.1:1/0"}))
    response = broken.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_when_everything_is_up(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_or_database_is_down(app_config: Config) -> None:
    no_redis = create_app(app_config.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    response = no_redis.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("error")
    no_database = create_app(app_config.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/x"}))
    response = no_database.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error")


def test_migrations_match_the_models(app: Flask) -> None:
    with engine_for(app).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
