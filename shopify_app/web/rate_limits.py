"""Rate limits with Flask-Limiter on Redis: one sliding window per API key under /v1, per shop and shopper
under /proxy; the IETF draft's RateLimit headers on every answer, and the API keeps answering when Redis
is down (the limiter logs the error and lets the request through)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import cast

from flask import Blueprint, Flask, Response, current_app
from flask_limiter import Limiter, RequestLimit

from shopify_app.config import Config
from shopify_app.redis_conn import REQUEST_TIMEOUT

EXTENSION = "rate_limiter"


def storage_uri(config: Config) -> str:
    """limits' spelling of the app's Redis; without one (the embedded development Redis), each process counts alone."""
    url = config.redis_url
    if not url:
        return "memory://"
    return "redis+" + url if url.startswith("unix://") else url


def init_app(app: Flask, config: Config) -> Limiter:
    limiter = Limiter(
        key_func=lambda: "",  # every limit names its own key
        storage_uri=storage_uri(config),
        # Flask-Limiter types the options as str or int; redis-py takes its timeouts as floats.
        storage_options=cast("dict[str, str | int]", {"socket_timeout": REQUEST_TIMEOUT,
                                                      "socket_connect_timeout": REQUEST_TIMEOUT}),
        strategy="sliding-window-counter",
        headers_enabled=False,  # written by ``headers`` below: Reset in seconds from now, not a timestamp
        swallow_errors=True,
        key_prefix="ratelimit",
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    return limiter


def limit(app: Flask, bp: Blueprint, value: Callable[[], str], key: Callable[[], str],
          message: Callable[[], str]) -> None:
    """Limit the requests of ``bp`` to ``value`` (e.g. "6/second") per ``key``, one window for all its
    routes; ``bp`` adds ``headers`` as an after_request hook of its own."""
    limiter: Limiter = app.extensions[EXTENSION]
    limiter.shared_limit(value, bp.name, key_func=key, error_message=message)(bp)


def _current() -> RequestLimit | None:
    limiter: Limiter = current_app.extensions[EXTENSION]
    return limiter.current_limit


def headers(response: Response) -> Response:
    """RateLimit-Limit, -Remaining and -Reset (seconds until the window has room again); Retry-After on a 429."""
    current = _current()
    if current is None:  # Redis is down: nothing was counted
        return response
    reset = max(0, math.ceil(current.reset_at - time.time()))
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
    response.headers["RateLimit-Reset"] = str(reset)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, reset))
    return response
