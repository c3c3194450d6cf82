"""Queue names and the RQ settings every job is enqueued with."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

WEBHOOKS = "webhooks"
SYNC = "sync"
ADMIN = "admin"
MAINTENANCE = "maintenance"
# Every queue of the app, in priority order: a worker listens to all of them.
ALL_QUEUES = (WEBHOOKS, SYNC, ADMIN, MAINTENANCE)

# Jobs take ids and read current state, so JSON is enough and no pickle is ever loaded.
SERIALIZER = JSONSerializer
SYNC_TIMEOUT = 60
MAINTENANCE_TIMEOUT = 600
RESULT_TTL = 3600
FAILURE_TTL = int(dt.timedelta(days=7).total_seconds())


def queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis, serializer=SERIALIZER)


def network_retry(intervals: Sequence[int]) -> Retry:
    """Retries of a network job; they run from the scheduler, which every worker starts."""
    return Retry(max=len(intervals), interval=list(intervals))


def job_id(*parts: object) -> str:
    """A deterministic job id: RQ allows only letters, digits, ``_`` and ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", "-".join(str(part) for part in parts))
