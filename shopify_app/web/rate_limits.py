"""Rate limits on Redis in one round trip per request: a sliding-window counter per key (per API key under
/v1, per shop and shopper under /proxy), the IETF draft's RateLimit headers on every answer, and the API
keeps answering when Redis is down (the error is logged and the request is not counted).

One Lua script both counts the request and returns what the headers need (limit, remaining, reset), where
Flask-Limiter's hit answers only whether the request may go, so its headers cost a second round trip
reading the window again. Each thread sends it on a connection of its own, held from the app's pool
rather than checked out and back per request: the checkout and redis-py's command plumbing around it
cost more CPU than the round trip."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from flask import Blueprint, Flask, Response, current_app, g, request
from redis.connection import Connection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
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
_SLIDING_WINDOW_SHA = hashlib.sha1(_SLIDING_WINDOW.encode()).hexdigest()


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


class HeldConnection:
    """A connection of the pool kept by one thread of one process, given back to the pool when the
    thread ends (its thread-local data goes)."""

    def __init__(self, pool: ConnectionPool, connection: Connection) -> None:
        self.pool, self.connection, self.pid = pool, connection, os.getpid()

    def __del__(self) -> None:
        self.pool.release(self.connection)


@dataclass
class Limits:
    """The app's limits by blueprint name, and each thread's connection that counts them."""

    by_blueprint: dict[str, Limit] = field(default_factory=dict)
    held: threading.local = field(default_factory=threading.local)

    def connection(self, app: Flask) -> Connection:
        """This thread's connection, taken from the pool at its first request; taken anew in a forked
        child (an RQ work horse), which must not talk on its parent's socket. It reconnects by itself
        after a timeout or a dropped connection closed it."""
        held: HeldConnection | None = getattr(self.held, "connection", None)
        if held is None or held.pid != os.getpid():
            pool = get_redis(app).connection_pool
            held = self.held.connection = HeldConnection(pool, pool.get_connection())
        return held.connection


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
    connection = cast(Limits, app.extensions[EXTENSION]).connection(app)
    # Both keys in one hash slot, so a Redis Cluster keeps them on one node for the script.
    current = f"rate-limit:{{{name}}}"
    keys_and_args = (f"{current}:previous", current, amount, window_seconds * 1000)
    try:
        reply = _sliding_window(connection, keys_and_args)
    except RedisConnectionError:  # Redis closed the idle connection (a restart, a timeout): once more, reconnected
        reply = _sliding_window(connection, keys_and_args)
    counted, remaining, reset_ms = cast(list[int], reply)
    return Window(bool(counted), amount, remaining, math.ceil(reset_ms / 1000))


def _sliding_window(connection: Connection, keys_and_args: tuple[str | int, ...]) -> object:
    """The script's answer by its SHA; the script itself (EVAL, which Redis then keeps for EVALSHA)
    when the server does not know it (a first request, a restart, SCRIPT FLUSH)."""
    try:
        return _run(connection, "EVALSHA", _SLIDING_WINDOW_SHA, keys_and_args)
    except NoScriptError:
        return _run(connection, "EVAL", _SLIDING_WINDOW, keys_and_args)


def _run(connection: Connection, command: str, script: str, keys_and_args: tuple[str | int, ...]) -> object:
    connection.send_command(command, script, 2, *keys_and_args)
    return connection.read_response()


def _check() -> None:
    """Count a request routed to a limited blueprint (an unrouted one, a 404 or 405, is not); over the limit
    it is a 429."""
    limits: Limits = current_app.extensions[EXTENSION]
    blueprint = request.blueprint or ""
    rule = limits.by_blueprint.get(blueprint)
    if rule is None:
        return
    g.rate_limit_window = None  # g outlives the request when the caller holds the app context
    amount = rule.amount()
    try:
        window = count(current_app, f"{blueprint}:{rule.key()}", amount, rule.window_seconds)
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
