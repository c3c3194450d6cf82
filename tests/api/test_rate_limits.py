"""Rate limits: under /v1 a sliding window per API key, its headers on every answer, 429 with Retry-After,
a key's own limit, and answers with Redis down; under /proxy one per shop and shopper; one Redis round
trip per request."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from redis import Redis

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.models import ApiKey, Shop
from shopify_app.web.rate_limits import EXTENSION, Limits, count
from tests import factories
from tests.api.test_award import error_of
from tests.jobs.own_redis import OwnRedis
from tests.proxy.signing import signed_params


def key_with_limit(app: Flask, demo_shop: dict[str, Any], per_second: int) -> str:
    with sessionmaker_for(app).begin() as session:
        shop = session.get(Shop, demo_shop["shop_id"])
        assert shop is not None
        raw = factories.api_key(session, shop)
        session.flush()
        row = session.query(ApiKey).filter(ApiKey.shop_id == shop.id).order_by(ApiKey.created_at.desc()).first()
        assert row is not None
        row.rate_limit = per_second
        return raw


def test_over_the_keys_limit_is_429(app: Flask, demo_shop: dict[str, Any]) -> None:
    key = key_with_limit(app, demo_shop, 3)
    client = app.test_client()
    answers = [client.get("/v1/vip-tiers", headers={"Authorization": key}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["3"] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    for answer in answers:
        assert 0 <= int(answer.headers["RateLimit-Reset"]) <= 2  # seconds from now, not a timestamp
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) >= 1
    assert error_of(refused) == {"status": "429", "title": "Too Many Requests", "detail": (
        "Rate limit exceeded: at most 3 requests per second per API key; retry after Retry-After seconds")}
    # Another key of the same shop has a window of its own.
    assert client.get("/v1/vip-tiers", headers={"Authorization": demo_shop["api_key"]}).status_code == 200


def test_writes_and_errors_count_and_carry_headers(app: Flask, demo_shop: dict[str, Any]) -> None:
    key = key_with_limit(app, demo_shop, 2)
    client = app.test_client()
    unrouted = client.get("/v1/no-such-resource", headers={"Authorization": key})
    assert unrouted.status_code == 404 and "RateLimit-Remaining" not in unrouted.headers  # not counted
    missing = client.get("/v1/customers/nobody@example.com", headers={"Authorization": key})
    assert missing.status_code == 404 and missing.headers["RateLimit-Remaining"] == "1"
    write = client.post("/v1/customers/1002/points", json={"adjustment": 1}, headers={"Authorization": key})
    assert write.status_code == 200 and write.headers["RateLimit-Remaining"] == "0"
    assert client.get("/v1/vip-tiers", headers={"Authorization": key}).status_code == 429


def test_the_default_is_six_per_second(monkeypatch: Any) -> None:
    monkeypatch.delenv("API_RATE_LIMIT", raising=False)
    assert Config.from_env().api_rate_limit == 6
    monkeypatch.setenv("API_RATE_LIMIT", "12")
    assert Config.from_env().api_rate_limit == 12


def test_api_keys_create_with_a_rate_limit(app: Flask, demo_shop: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["api-keys", "create", demo_shop["domain"], "--rate-limit", "2"])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    client = app.test_client()
    statuses = [client.get("/v1/vip-tiers", headers={"Authorization": key}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert runner.invoke(args=["api-keys", "create", demo_shop["domain"], "--rate-limit", "0"]).exit_code != 0


def test_redis_down_the_api_answers(app_config: Config, demo_shop: dict[str, Any], tmp_path: Path,
                                    caplog: pytest.LogCaptureFixture) -> None:
    down = create_app(app_config.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    with caplog.at_level(logging.WARNING, logger="shopify_app.web.rate_limits"):
        response = down.test_client().get("/v1/vip-tiers", headers={"Authorization": demo_shop["api_key"]})
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers
    assert "not rate limited, Redis unavailable" in caplog.text


def test_proxy_limit_per_shop_and_shopper(app_config: Config, demo_shop: dict[str, Any]) -> None:
    limited = create_app(app_config.model_copy(update={"proxy_rate_limit": 2}))
    client = limited.test_client()

    def customer(shopper: str) -> Any:
        return client.get("/proxy/customer?" + urlencode(signed_params(shopper)))

    first, second, third = customer("1001"), customer("1001"), customer("1001")
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert third.headers["RateLimit-Limit"] == "2" and int(third.headers["Retry-After"]) >= 1
    assert customer("1002").status_code == 200  # another shopper counts alone


def test_the_previous_window_weighs_by_its_share_still_inside(app: Flask, redis: Redis) -> None:
    assert [count(app, "test:sliding", 2, 60).remaining for _ in range(2)] == [1, 0]
    full = count(app, "test:sliding", 2, 60)
    assert (full.counted, full.remaining, full.reset_seconds) == (False, 0, 60)  # the window began just now
    # Three quarters of the window later (the current window's key lives two windows): its 2 requests
    # become the previous window's, weighing 2 x 0.75 = 1.5, so one more request fits.
    redis.pexpire("rate-limit:{test:sliding}", 45_000)
    later = count(app, "test:sliding", 2, 60)
    assert (later.counted, later.remaining) == (True, 0)
    assert later.reset_seconds == 15  # then the previous window weighs 1 and there is room again
    assert not count(app, "test:sliding", 2, 60).counted


def commands_during(redis_url: str, send: Callable[[], Any]) -> list[str]:
    """The commands clients sent to the test's Redis database while ``send`` ran (not those a script ran)."""
    watcher = Redis.from_url(redis_url, socket_timeout=5)
    database = watcher.connection_pool.connection_kwargs.get("db", 0)
    marker, marking = uuid.uuid4().hex, Redis.from_url(redis_url)
    marking.ping()  # connected (and its database selected) before the watch begins
    seen: list[str] = []
    with watcher.monitor() as monitor:
        send()
        marking.echo(marker)  # everything sent before it has been seen once it is
        while marker not in (command := monitor.next_command())["command"]:
            if command["db"] == database and command["client_type"] != "lua":
                seen.append(command["command"])
    watcher.close()
    marking.close()
    return seen


@pytest.mark.parametrize("path", ["/v1/vip-tiers", "/proxy/customer"])
def test_a_limited_request_costs_one_redis_round_trip(client: Any, demo_shop: dict[str, Any], redis_url: str,
                                                      path: str) -> None:
    def send() -> None:
        query = "?" + urlencode(signed_params("1001")) if path.startswith("/proxy") else ""
        response = client.get(path + query, headers={"Authorization": demo_shop["api_key"]})
        assert response.status_code == 200 and "RateLimit-Remaining" in response.headers

    send()  # a server's first limited request sends the script itself (EVALSHA, then EVAL)
    commands = commands_during(redis_url, send)
    assert len(commands) == 1 and commands[0].startswith("EVALSHA"), commands


@pytest.fixture
def own_server_app(app_config: Config) -> Iterator[tuple[Flask, OwnRedis]]:
    """The app on a redis-server of its own, to restart and flush."""
    with OwnRedis() as server:
        app = create_app(app_config.model_copy(update={"redis_url": server.url}))
        yield app, server
        engine_for(app).dispose()


def test_a_restarted_redis_counts_the_next_request(own_server_app: tuple[Flask, OwnRedis]) -> None:
    app, server = own_server_app
    assert [count(app, "test:restart", 5, 60).remaining for _ in range(2)] == [4, 3]
    server.stop()
    server.start()  # the held connection is closed and the script is gone with the server's memory
    after = count(app, "test:restart", 5, 60)
    assert (after.counted, after.remaining) == (True, 4)


def test_flushed_scripts_are_loaded_again(own_server_app: tuple[Flask, OwnRedis]) -> None:
    app, server = own_server_app
    assert count(app, "test:flush", 5, 60).remaining == 4
    Redis.from_url(server.url).script_flush()
    assert count(app, "test:flush", 5, 60).remaining == 3


def test_each_thread_and_each_forked_child_counts_on_a_connection_of_its_own(app: Flask) -> None:
    limits: Limits = app.extensions[EXTENSION]
    mine = limits.connection(app)
    assert limits.connection(app) is mine  # held, not taken per request
    others: list[Any] = []
    thread = threading.Thread(target=lambda: others.append(limits.connection(app)))
    thread.start()
    thread.join()
    assert others and others[0] is not mine
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's outcome is its exit status)
        os._exit(0 if limits.connection(app) is not mine and count(app, "test:fork", 5, 60).counted else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert count(app, "test:fork", 5, 60).counted  # the parent's connection still answers its own requests
