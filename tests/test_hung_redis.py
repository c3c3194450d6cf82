"""A hung Redis (SIGSTOP: connections open, nothing answered) costs a request at most REQUEST_TIMEOUT, then it
falls back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from redis.exceptions import RedisError

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import engine_for
from shopify_app.redis_conn import get_redis
from tests import factories
from tests.jobs.own_redis import OwnRedis
from tests.proxy.signing import signed_query
from tests.timing import QUICK, timed


@pytest.fixture
def hung_app(app_config: Config) -> Iterator[Flask]:
    """The app on a redis-server of its own, used once (so connections are pooled) and then hung."""
    with OwnRedis() as server:
        app = create_app(Config(**{**app_config.__dict__, "redis_url": server.url}))
        get_redis(app).ping()
        server.hang()
        yield app
        engine_for(app).dispose()


def test_a_hung_redis_fails_each_call_within_half_a_second(hung_app: Flask) -> None:
    redis = get_redis(hung_app)
    for call in (lambda: redis.set("key", 1), lambda: redis.get("key")):  # a pooled connection, then a new one
        started = time.perf_counter()
        with pytest.raises(RedisError):
            call()
        assert time.perf_counter() - started < 0.5


def test_a_hung_redis_keeps_request_paths_quick(hung_app: Flask, demo_shop: dict[str, Any]) -> None:
    client = hung_app.test_client()
    query = signed_query("1002", params=[("nonce", uuid.uuid4().hex)])
    claim, claim_time = timed(client.post,
                              f"/proxy/earning-rules/{demo_shop['rules']['follow_on_instagram']}/claim?{query}")
    assert claim.status_code == 503 and claim_time < QUICK  # the replay store cannot vouch for the signature

    read, read_time = timed(client.get, "/v1/vip-tiers", headers={"Authorization": demo_shop["api_key"]})
    assert read.status_code == 200 and read_time < QUICK  # served, not counted: the limiter gave up on Redis
    assert "RateLimit-Limit" not in read.headers

    token = factories.session_token(hung_app.config["LOYALTY"], demo_shop["domain"])
    overview, overview_time = timed(client.get, "/admin/", headers={"Authorization": f"Bearer {token}"})
    assert overview.status_code == 200 and overview_time < QUICK  # the cached history is computed instead

    ready, ready_time = timed(client.get, "/readyz")
    assert ready.status_code == 503 and ready_time < QUICK
    assert ready.get_json()["checks"]["redis"] == "error: TimeoutError"
