"""Scheduled ledger work: approving due entries and expiring points, enqueued once per period."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis
from sqlalchemy.orm import Session

from shopify_app.jobs import queues, runtime
from shopify_app.loyalty.maturing import BATCH, approve_due, expire_points

PERIOD_SECONDS = 60


def _in_batches(step: Callable[[Session], int]) -> int:
    """One transaction per batch, until a batch comes back short."""
    ctx = runtime.context()
    total = 0
    while True:
        with ctx.sessions.begin() as session:
            done = step(session)
        total += done
        if done < BATCH:
            return total


def approve_due_entries() -> int:
    return _in_batches(lambda session: approve_due(session))


def expire_due_points() -> int:
    return _in_batches(lambda session: expire_points(session))


PERIODIC = {"approve-due": "shopify_app.jobs.scheduled.approve_due_entries",
            "expire-points": "shopify_app.jobs.scheduled.expire_due_points"}


def enqueue_periodic(redis: Redis, *, now: float | None = None, force: bool = False) -> list[str]:
    """Enqueue each periodic job once per period, whichever worker gets here first (``force``: now)."""
    slot = int((now or time.time()) // PERIOD_SECONDS)
    enqueued = []
    for name, function in PERIODIC.items():
        job_id = queues.job_id(name, slot)
        if redis.set(f"periodic:{job_id}", 1, nx=True, ex=PERIOD_SECONDS * 2) or force:
            queues.queue(redis, queues.MAINTENANCE).enqueue(
                function, job_id=job_id, job_timeout=queues.MAINTENANCE_TIMEOUT,
                result_ttl=queues.RESULT_TTL, failure_ttl=queues.FAILURE_TTL,
            )
            enqueued.append(job_id)
    return enqueued
