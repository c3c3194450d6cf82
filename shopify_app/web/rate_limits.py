"""Rate limits on Redis in one round trip per request: a sliding-window counter per key (per API key under
/v1, per shop and shopper under /proxy), the IETF draft's RateLimit headers on every answer, and the API
keeps answering when Redis is down (the error is logged and the request is not counted).

One Lua script both counts the request and returns what the headers need (limit, remaining, reset), where
Flask-Limiter's hit answers only whether the request may go, so its headers cost a second round trip
reading the window again."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from flask import Blueprint, Flask, Response, current_app, g, request
from redis.commands.core import Script
from redis.exceptions import RedisError
from werkzeug.exceptions import TooManyRequests

from shopify_app.redis_conn import get_redis

EXTENSION = "rate_limits"

logger = logging.getLogger(__name__)

# The sliding-window counter of the ``limits`` package (which Flask-Limiter runs), its hit and its window
# read in one script. KEYS[1] counts the previous window, KEYS[2] the current one, which starts at its
# first request and lives two windows; once less than a window of its life is left it becomes the
# previous one. The previous window's count weighs by the share of it still inside the sliding window.
# Times are the keys' own TTLs in milliseconds, so every worker counts on Redis's clock.
# Answers {1 if counted else 0, requests remaining, milliseconds until the window has room again}.
_SLIDING_WINDOW = """
local limit, expiry = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Until a count next drops: a TTL on a period's boundary (a window's first request) has a whole period to go.
local function until_next(ttl, period)
  local left = ttl % period
  if left == 0 then return period end
  return left
end
local current_ttl = redis.call('PTTL', KEYS[2])
if current_ttl > 0 and current_ttl < expiry then
  redis.call('RENAME', KEYS[2], KEYS[1])
  redis.call('SET', KEYS[2], 0, 'PX', current_ttl + expiry)
  current_ttl = current_ttl + expiry
end
local previous_count = tonumber(redis.call('GET', KEYS[1])) or 0
local previous_ttl = math.max(redis.call('PTTL', KEYS[1]), 0)
local current_count = tonumber(redis.call('GET', KEYS[2])) or 0
local counted = math.floor(previous_count * previous_ttl / expiry) + current_count < limit
if counted then
  if current_ttl > 0 then
    redis.call('INCR', KEYS[2])
  else
    current_ttl = 2 * expiry
    redis.call('SET', KEYS[2], 1, 'PX', current_ttl)
  end
  current_count = current_count + 1
end
local remaining = math.max(0, limit - math.floor(previous_count * previous_ttl / expiry + current_count))
local reset = 0
if previous_count > 0 or current_count > 0 then
  reset = math.huge
  if previous_count > 0 then reset = until_next(previous_ttl, expiry / previous_count) end
  if current_count > 0 then reset = math.min(reset, until_next(current_ttl, expiry)) end
end
return {counted and 1 or 0, remaining, math.ceil(reset)}
"""


@dataclass(frozen=True)
class Limit:
    """A blueprint's limit: ``amount()`` requests per ``window_seconds`` per ``key()``; ``message()`` for a 429."""

    amount: Callable[[], int]
    window_seconds: int
    key: Callable[[], str]
    message: Callable[[], str]


@dataclass(frozen=True)
class Window:
    """What a request's count left, for its headers."""

    counted: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the window has room again


@dataclass
class Limits:
    """The app's limits by blueprint name, and the script that counts them."""

    by_blueprint: dict[str, Limit] = field(default_factory=dict)
    script: Script | None = None  # registered on the app's Redis at the first request limited


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Limits()
    # An app hook runs before the blueprints' own checks (the API key, the proxy signature): a request
    # over the limit is refused before them, and a request they refuse counts too.
    app.before_request(_check)


def limit(app: Flask, bp: Blueprint, amount: Callable[[], int], window_seconds: int, key: Callable[[], str],
          message: Callable[[], str]) -> None:
    """Limit the requests of ``bp`` to ``amount()`` per ``window_seconds`` per ``key()``, one window for all its
    routes; ``bp`` adds ``headers`` as an after_request hook of its own."""
    limits: Limits = app.extensions[EXTENSION]
    limits.by_blueprint[bp.name] = Limit(amount, window_seconds, key, message)


def count(app: Flask, name: str, amount: int, window_seconds: int) -> Window:
    """Count a request against ``name``'s window unless it is full, in one round trip to the app's Redis."""
    limits: Limits = app.extensions[EXTENSION]
    if limits.script is None:
        limits.script = get_redis(app).register_script(_SLIDING_WINDOW)
    # Both keys in one hash slot, so a Redis Cluster keeps them on one node for the script.
    current = f"rate-limit:{{{name}}}"
    counted, remaining, reset_ms = cast(list[int], limits.script(keys=[f"{current}:previous", current],
                                                                 args=[amount, window_seconds * 1000]))
    return Window(bool(counted), amount, remaining, math.ceil(reset_ms / 1000))


def _check() -> None:
    """Count a request routed to a limited blueprint (an unrouted one, a 404 or 405, is not); over the limit
    it is a 429."""
    limits: Limits = current_app.extensions[EXTENSION]
    rule = limits.by_blueprint.get(request.blueprint or "")
    if rule is None:
        return
    g.rate_limit_window = None  # g outlives the request when the caller holds the app context
    amount = rule.amount()
    try:
        window = count(current_app, f"{request.blueprint}:{rule.key()}", amount, rule.window_seconds)
    except RedisError as error:
        logger.warning("request not rate limited, Redis unavailable: %r", error)
        return
    g.rate_limit_window = window
    if not window.counted:
        raise TooManyRequests(rule.message())


def headers(response: Response) -> Response:
    """RateLimit-Limit, -Remaining and -Reset (seconds until the window has room again); Retry-After on a 429."""
    window: Window | None = g.get("rate_limit_window")
    if window is None:  # Redis is down: nothing was counted
        return response
    response.headers["RateLimit-Limit"] = str(window.limit)
    response.headers["RateLimit-Remaining"] = str(window.remaining)
    response.headers["RateLimit-Reset"] = str(window.reset_seconds)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, window.reset_seconds))
    return response
