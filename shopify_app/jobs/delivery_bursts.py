"""A shop's burst of deliveries listed in Redis, for one drain job at a time to take up to a batch of.

Every listed delivery has a drain job that takes from the list after it was listed: the intake
lists a delivery and claims the shop's drain in one transaction, and enqueues a drain only when
its claim is new; a take releases the claim in the same transaction as it empties the list's head,
so a delivery listed after a take claims a drain of its own. The list is not the record: a delivery
taken by a worker that then dies is still unprocessed in the database, and the sweep finds it."""

from __future__ import annotations

from typing import cast

from redis import Redis

# A claim whose drain was never enqueued (Redis failed in between) lapses after this, and the
# sweep claims the shop's drain again.
CLAIM_SECONDS = 60

# The listing and the claim in one script, atomic as a transaction is: one command for Redis to
# read and answer where MULTI, RPUSH, SET and EXEC are four, inside the webhook's response time.
_ADD = """redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[2]) then return 1 end
return 0"""


def _listed_key(shop_domain: str) -> str:
    return f"deliveries:listed:{shop_domain}"


def _claim_key(shop_domain: str) -> str:
    return f"deliveries:drain-claimed:{shop_domain}"


def add(redis: Redis, shop_domain: str, delivery_id: str) -> bool:
    """List the delivery; True when the shop had no drain claimed, and the caller must enqueue one."""
    # redis-py's Script sends EVALSHA, and the script itself once Redis answers that it does not know it.
    claimed = redis.register_script(_ADD)(keys=[_listed_key(shop_domain), _claim_key(shop_domain)],
                                          args=[delivery_id, CLAIM_SECONDS])
    return bool(claimed)


def claim(redis: Redis, shop_domain: str) -> bool:
    """Claim the shop's drain; True when none was claimed, and the caller must enqueue one."""
    return bool(redis.set(_claim_key(shop_domain), 1, nx=True, ex=CLAIM_SECONDS))


def take(redis: Redis, shop_domain: str, count: int) -> list[str]:
    """Up to ``count`` listed deliveries, oldest first, and the claim released."""
    with redis.pipeline(transaction=True) as pipeline:
        pipeline.delete(_claim_key(shop_domain))
        pipeline.lrange(_listed_key(shop_domain), 0, count - 1)
        pipeline.ltrim(_listed_key(shop_domain), count, -1)
        return [delivery_id.decode() for delivery_id in pipeline.execute()[1]]


def listed(redis: Redis, shop_domain: str) -> set[str]:
    """The deliveries a drain job of the shop is still to take."""
    return {delivery_id.decode() for delivery_id in cast(list[bytes], redis.lrange(_listed_key(shop_domain), 0, -1))}
