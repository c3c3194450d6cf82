"""Rate limiters shared by every worker through Redis: request windows and Shopify's cost bucket."""

from __future__ import annotations

import time
import uuid
from typing import cast

from redis import Redis

from shopify_app.integrations.http import MAX_IN_JOB_WAIT, RetryLater

# Sliding-window log: admits a request when fewer than ``limit`` fall inside the window,
# else answers how long until the oldest one leaves it.
_WINDOW = """
local key, limit, window, now, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""

# A mirror of Shopify's leaky bucket, refilled at the restore rate Shopify last reported.
# Reserving the requested cost before sending keeps all workers of a shop inside the bucket.
_BUCKET = """
local key, cost, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', key, 'available', 'at', 'rate', 'max')
if not state[1] then return '0' end
local rate, max = tonumber(state[3]), tonumber(state[4])
local available = math.min(max, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
if available >= cost then
  redis.call('HSET', key, 'available', available - cost, 'at', now)
  return '0'
end
return tostring((cost - available) / rate)
"""


# redis-py types a script's arguments as str (it sends a number as its repr, the same text) and
# every reply as ``Awaitable | Any``, its asyncio client's and this one's alike: the casts say what
# this client returns.


def _now() -> float:
    return time.time()


def window_wait(redis: Redis, key: str, limit: int, window_seconds: float) -> float:
    """0 when the request may go now (and it is counted), else the seconds to wait first."""
    member = uuid.uuid4().hex
    reply = redis.eval(_WINDOW, 1, f"ratelimit:{key}", str(limit), str(window_seconds), str(_now()), member)
    return float(cast(bytes, reply))


def acquire_window(redis: Redis, key: str, limit: int, window_seconds: float) -> None:
    """Waits for a place in the window; a wait longer than a job may sleep is a RetryLater."""
    while (wait := window_wait(redis, key, limit, window_seconds)) > 0:
        if wait > MAX_IN_JOB_WAIT:
            raise RetryLater(f"rate limit {key}", wait)
        time.sleep(wait)


class CostBucket:
    """Shopify GraphQL cost limiter for one shop, shared through Redis."""

    def __init__(self, redis: Redis, shop_id: str) -> None:
        self.redis = redis
        self.key = f"shopify-bucket:{shop_id}"

    def wait_for(self, cost: float) -> float:
        """Reserve ``cost`` points if the bucket holds them (0), else the seconds until it will."""
        return float(cast(bytes, self.redis.eval(_BUCKET, 1, self.key, str(cost), str(_now()))))

    def observe(self, throttle_status: dict[str, float]) -> None:
        """Take Shopify's own figures as the truth after every answer."""
        self.redis.hset(self.key, mapping={
            "available": float(throttle_status["currentlyAvailable"]),
            "at": _now(),
            "rate": float(throttle_status["restoreRate"]),
            "max": float(throttle_status["maximumAvailable"]),
        })
        self.redis.expire(self.key, 3600)
