"""The loyalty app: ``create_app`` builds it; nothing is connected at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from shopify_app import db, health, redis_conn, web_security
from shopify_app.config import PROJECT_ROOT, Config
from shopify_app.web import errors, rate_limits

# Shopify's largest webhook payloads (orders with many lines) stay well under this.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class LoyaltyApp(Flask):
    """Flask, asking once per hook or view whether it is a coroutine function to be run to completion:
    Flask asks on every call, eleven times for an API request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_callables: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        sync = self._sync_callables.get(func)
        if sync is None:
            sync = self._sync_callables[func] = super().ensure_sync(func)
        return sync


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    config.check()  # a Config built by hand is held to the same rules as one read from the environment
    app = LoyaltyApp(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    # Paths are matched as written: merging "//" into "/" answers with a redirect whose Location
    # repeats the query, which under /proxy is Shopify's signature.
    app.url_map.merge_slashes = False
    app.config["LOYALTY"] = config
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    config.instance_path.mkdir(parents=True, exist_ok=True)

    db.init_app(app, config.resolved_database_url)
    redis_conn.init_app(app, config)
    rate_limits.init_app(app)
    web_security.register(app, config)
    errors.register(app)

    from shopify_app import admin, api, app_home, auth, cli, proxy, webhooks

    app_home.register(app)
    admin.register(app)
    api.register(app)
    proxy.register(app)
    auth.register(app)
    webhooks.register(app)
    health.register(app)
    cli.register(app)
    return app
