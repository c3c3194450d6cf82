"""The worker process: RQ with its scheduler, plus a ticker thread that relays the outbox and plans periodic work.

SimpleWorker (no fork per job) on purpose: the ticker is a thread, and forking a process that
runs threads can copy a held lock into the child; it also keeps one database pool, one HTTP
keep-alive pool and one Redis pool per process. Job timeouts still hold (SIGALRM in the main
thread), and a worker killed mid-job is noticed by the others within about a minute because
its started-job entry only lives for the job timeout plus a short slack."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from flask import Flask
from rq import SimpleWorker
from rq.job import Job

from shopify_app.jobs import queues, relay, runtime, scheduled

log = logging.getLogger(__name__)
TICK_SECONDS = 0.2
MAINTENANCE_INTERVAL = 15  # seconds between RQ's registry clean-ups (abandoned jobs are retried there)
WORKER_TTL = 45  # the blocking dequeue wakes up every WORKER_TTL - 15 s to run maintenance
HEARTBEAT_SLACK = 10
RELAY_LOCK_SECONDS = 60


class LoyaltyWorker(SimpleWorker):
    ticker: threading.Thread | None = None

    def get_heartbeat_ttl(self, job: Job) -> int:
        # A job cannot outlive its timeout, so its started entry need not outlive it by much.
        return int(job.timeout or queues.SYNC_TIMEOUT) + HEARTBEAT_SLACK

    def _start_scheduler(self, burst: bool = False, *args: Any, **kwargs: Any) -> None:
        super()._start_scheduler(burst, *args, **kwargs)
        if not burst:  # started after the scheduler's process is forked, so it never forks a thread
            self.ticker = threading.Thread(target=tick_forever, args=(runtime.context(),), daemon=True, name="ticker")
            self.ticker.start()


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
    stop = threading.Event()
    while not stop.wait(TICK_SECONDS):
        try:
            tick(ctx, coalesce=coalesce)
        except Exception:  # Redis or the database away: rows stay pending, the next tick tries again
            log.exception("outbox relay tick failed")
            stop.wait(2)


def run(app: Flask, *, burst: bool = False) -> None:
    ctx = runtime.bind(app)
    if not burst:
        make_worker(ctx).work(with_scheduler=True)
        return
    # Burst: relay everything pending now, run what is queued and due, repeat while jobs
    # (an approval, say) leave new outbox rows behind, then exit.
    scheduled.enqueue_periodic(ctx.redis, force=True)
    while True:
        relayed = tick(ctx, coalesce=dt.timedelta(0))
        worked = make_worker(ctx).work(burst=True, with_scheduler=True)
        if not relayed and not worked:
            return
