"""Liveness (touches nothing) and readiness (database and Redis reachable; a warning if Redis may evict jobs)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from shopify_app.db import engine_for
from shopify_app.redis_conn import get_redis


def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


def readyz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    try:
        with engine_for(current_app).connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", never a 500
        checks["database"] = f"error: {type(exc).__name__}"
    warnings: list[str] = []
    try:
        redis = get_redis(current_app)
        redis.ping()
        checks["redis"] = "ok"
        warnings += _eviction_warning(redis)
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks, warnings=warnings), 200 if ready else 503


def _eviction_warning(redis: Redis) -> list[str]:
    """RQ keeps queues and jobs in Redis: a Redis that evicts keys under memory pressure loses jobs."""
    try:
        # redis-py types a reply as ``Awaitable | Any``, for its asyncio client's sake.
        policy = cast("dict[str, str]", redis.config_get("maxmemory-policy")).get("maxmemory-policy")
    except RedisError:  # CONFIG may be disabled on managed Redis: nothing to check then
        return []
    if policy != "noeviction":
        return [f"redis maxmemory-policy is {policy}; set noeviction so queued jobs are never evicted"]
    return []


def register(app: Flask) -> None:
    app.add_url_rule("/healthz", view_func=healthz, methods=["GET"])
    app.add_url_rule("/readyz", view_func=readyz, methods=["GET"])
