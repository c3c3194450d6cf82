"""The worker process: RQ with its scheduler, plus a ticker thread that relays the outbox and plans periodic work.

SimpleWorker (no fork per job) on purpose: the ticker is a thread, and forking a process that
runs threads can copy a held lock into the child; it also keeps one database pool, one HTTP
keep-alive pool and one Redis pool per process. Job timeouts still hold (SIGALRM in the main
thread), and a worker killed mid-job is noticed by the others within about a minute because
its started-job entry only lives for the job timeout plus a short slack.

RQ's work loop quits at the first Redis error it meets outside its blocking dequeue (a job that
ends while Redis restarts, a timeout from a hung server); ``work_forever`` then waits for Redis,
with backoff, and starts a new loop, so the process outlives any Redis outage."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import signal
import threading
import time
from typing import Any, NoReturn

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job

from shopify_app.jobs import queues, relay, runtime, scheduled

log = logging.getLogger(__name__)
TICK_SECONDS = 0.2
MAINTENANCE_INTERVAL = 15  # seconds between RQ's registry clean-ups (abandoned jobs are retried there)
WORKER_TTL = 45  # the blocking dequeue wakes up every WORKER_TTL - 15 s to run maintenance
HEARTBEAT_SLACK = 10
RELAY_LOCK_SECONDS = 60
RECONNECT_DELAYS = (0.5, 1, 2, 5, 10, 30)  # seconds between pings of a Redis that is away; the last repeats

_ticker: threading.Thread | None = None
# Set once the work loops are over: the ticker stops before the process's exit hooks shut Redis down.
_ticker_stop = threading.Event()


class LoyaltyWorker(SimpleWorker):
    shutdown_requested = False

    def handle_warm_shutdown_request(self) -> None:
        # SIGTERM or SIGINT, as opposed to a loop that ended on a Redis error.
        self.shutdown_requested = True
        super().handle_warm_shutdown_request()

    def get_heartbeat_ttl(self, job: Job) -> int:
        # A job cannot outlive its timeout, so its started entry need not outlive it by much.
        return int(job.timeout or queues.SYNC_TIMEOUT) + HEARTBEAT_SLACK

    def _start_scheduler(self, burst: bool = False, *args: Any, **kwargs: Any) -> None:
        super()._start_scheduler(burst, *args, **kwargs)
        global _ticker
        # Started once, after the first scheduler process is forked. Later ones (RQ restarts a dead
        # scheduler; a new loop after a Redis outage starts one) fork beside this thread, which is
        # safe: the child only builds a Redis client of its own and runs RQ's scheduler (no database,
        # HTTP or shared Redis pool), and logging resets its locks at fork.
        if not burst and _ticker is None:
            _ticker = threading.Thread(target=tick_forever, args=(runtime.context(),), daemon=True, name="ticker")
            _ticker.start()


def make_worker(ctx: runtime.Context) -> LoyaltyWorker:
    return LoyaltyWorker(
        [queues.queue(ctx.redis, name) for name in queues.ALL_QUEUES], connection=ctx.redis,
        serializer=queues.SERIALIZER, maintenance_interval=MAINTENANCE_INTERVAL, worker_ttl=WORKER_TTL,
    )


def tick(ctx: runtime.Context, *, coalesce: dt.timedelta) -> int:
    """One round: periodic jobs planned, lost jobs recovered, settled outbox rows relayed.

    One relay at a time across all workers: two would enqueue the same groups twice (harmless,
    delivery is idempotent, but wasted work)."""
    scheduled.enqueue_periodic(ctx.redis)
    lock = ctx.redis.lock("outbox-relay", timeout=RELAY_LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return 0
    try:
        relay.recover_lost(ctx.sessions, ctx.redis)
        return relay.relay(ctx.sessions, ctx.redis, ctx.config, coalesce=coalesce)
    finally:
        lock.release()


def tick_forever(ctx: runtime.Context) -> None:
    coalesce = dt.timedelta(seconds=ctx.config.sync_coalesce_seconds)
    while not _ticker_stop.wait(TICK_SECONDS):
        try:
            tick(ctx, coalesce=coalesce)
        except Exception:  # Redis or the database away: rows stay pending, the next tick tries again
            log.exception("outbox relay tick failed")
            _ticker_stop.wait(2)


def work_forever(ctx: runtime.Context) -> None:
    """RQ work loops one after another until SIGTERM or SIGINT; a loop that Redis ended is followed by
    a new one once Redis answers. A job cut off by the outage is not lost: RQ retries it once its
    started entry runs out (a Redis that kept its data), or the outbox rows it leaves ``enqueued``
    go back to pending (``relay.recover_lost``) and an unprocessed webhook is enqueued again by the
    sweep (a Redis that lost it). Jobs are idempotent, so one that had finished only runs again."""
    while True:
        worker = None
        try:
            worker = make_worker(ctx)
            worker.work(with_scheduler=True)
        except RedisError as error:  # raised by the loop's start or its final clean-up, past RQ's own handling
            log.warning("worker loop ended by Redis: %s", error)
        if worker is not None and worker.shutdown_requested:
            return
        if not wait_for_redis(ctx.redis):
            return


class _Stop(Exception):
    pass


def _stop(_signum: int, _frame: Any) -> NoReturn:
    raise _Stop


def wait_for_redis(redis: Redis) -> bool:
    """Ping Redis with growing pauses until it answers (True) or SIGTERM/SIGINT comes (False)."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        for delay in itertools.chain(RECONNECT_DELAYS, itertools.repeat(RECONNECT_DELAYS[-1])):
            time.sleep(delay)
            try:
                redis.ping()
                log.warning("Redis answers again; a new worker loop starts")
                return True
            except RedisError as error:
                log.warning("Redis unavailable (%s); trying again", error)
    except _Stop:
        pass
    finally:  # as at start-up, until the next loop installs RQ's handlers
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return False


def run(app: Flask, *, burst: bool = False) -> None:
    ctx = runtime.bind(app)
    if not burst:
        work_forever(ctx)
        _ticker_stop.set()
        return
    # Burst: relay everything pending now, run what is queued and due, repeat while jobs
    # (an approval, say) leave new outbox rows behind, then exit.
    scheduled.enqueue_periodic(ctx.redis, force=True)
    while True:
        relayed = tick(ctx, coalesce=dt.timedelta(0))
        worked = make_worker(ctx).work(burst=True, with_scheduler=True)
        if not relayed and not worked:
            return
