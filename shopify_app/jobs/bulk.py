"""Admin bulk jobs on RQ: sync every member, recompute every member's tier, import the shop's existing
customers (``customer_import``), and the import & export page's past orders and points files; progress
(and what a job found) in bulk_jobs."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shopify_app.clock import utcnow
from shopify_app.error_text import error_text
from shopify_app.jobs import queues, runtime
from shopify_app.loyalty.ledger.effects import enqueue_customer_sync, tier_changed
from shopify_app.loyalty.ledger.tiers import tier_for_lifetime
from shopify_app.models import BulkJob, BulkJobKind, BulkJobStatus, Customer, Shop
from shopify_app.shops.lookup import get_owned

BATCH_SIZE = 500
ACTIVE = (BulkJobStatus.QUEUED.value, BulkJobStatus.RUNNING.value)
# Kinds whose run carries on from its saved progress: a failed or abandoned run is taken up again.
RESUMABLE = (BulkJobKind.IMPORT_CUSTOMERS.value,)
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
# A job younger than this may still be on its way to the queue from the page that started it.
SWEEP_GRACE = dt.timedelta(seconds=60)

# The job each kind runs; the member kinds go through run_bulk_job's batches of members.
RUNNERS = {
    BulkJobKind.IMPORT_CUSTOMERS.value: "shopify_app.jobs.customer_import.import_customers",
    BulkJobKind.PAST_ORDERS_PREVIEW.value: "shopify_app.jobs.past_orders.run_past_orders_job",
    BulkJobKind.PAST_ORDERS.value: "shopify_app.jobs.past_orders.run_past_orders_job",
    BulkJobKind.POINTS_IMPORT_CHECK.value: "shopify_app.jobs.points_import.run_points_import_job",
    BulkJobKind.POINTS_IMPORT.value: "shopify_app.jobs.points_import.run_points_import_job",
}
MEMBER_RUNNER = "shopify_app.jobs.bulk.run_bulk_job"

logger = logging.getLogger(__name__)


def admin_queue(redis: Redis) -> Queue:
    return queues.queue(redis, queues.ADMIN)


def _members(shop_id: str, kind: str) -> Select[tuple[str]]:
    query = select(Customer.id).where(Customer.shop_id == shop_id)
    if kind == BulkJobKind.SYNC_ALL_MEMBERS.value:
        query = query.where(Customer.is_excluded.is_(False))
    return query


def start(session: Session, shop: Shop, kind: BulkJobKind, *, total: int | None = None,
          params: dict[str, Any] | None = None) -> BulkJob:
    """A new job of this kind, or the one of this shop still queued or running; a resumable job that
    failed is queued again, to carry on where it stopped. ``total`` defaults to the members a member
    job goes through."""
    running = latest(session, shop.id, kind)
    if running is not None and running.status in ACTIVE:
        return running
    if running is not None and running.status == BulkJobStatus.FAILED.value and kind.value in RESUMABLE:
        running.status, running.error, running.finished_at = BulkJobStatus.QUEUED.value, None, None
        return running
    if kind is BulkJobKind.IMPORT_CUSTOMERS:
        total = 0  # known once Shopify has counted the customers
    elif total is None:
        total = session.scalar(select(func.count()).select_from(_members(shop.id, kind.value).subquery())) or 0
    job = BulkJob(shop_id=shop.id, kind=kind.value, total=total, params=params)
    session.add(job)
    session.flush()
    return job


def enqueue(redis: Redis, job: BulkJob) -> bool:
    """Called after the job's row is committed, so the worker always finds it. False when Redis
    cannot be reached: the row stays queued and ``enqueue_waiting`` enqueues it once Redis is back."""
    try:
        _put(redis, job)
    except RedisError as error:
        logger.warning("bulk job %s waits for Redis: %s", job.id, error)
        return False
    return True


def enqueue_waiting(session: Session, redis: Redis, *, now: dt.datetime | None = None) -> int:
    """Enqueue the queued jobs that have no RQ job (Redis was down when they were started, or lost
    them), and the running resumable ones whose worker died; for the scheduler. Returns how many it
    enqueued."""
    cutoff = (now or utcnow()) - SWEEP_GRACE
    waiting = session.scalars(
        select(BulkJob).where(
            BulkJob.created_at < cutoff,
            (BulkJob.status == BulkJobStatus.QUEUED.value)
            | ((BulkJob.status == BulkJobStatus.RUNNING.value) & BulkJob.kind.in_(RESUMABLE)),
        ).order_by(BulkJob.created_at)
    )
    return sum(_put(redis, job) for job in waiting)


def _put(redis: Redis, job: BulkJob) -> bool:
    """Enqueue the job unless its RQ job (deterministic id) is waiting or running; True when it
    enqueued. A finished or failed RQ job of a resumable kind is replaced: its run is taken up again."""
    job_id = f"bulk_{job.id}"
    try:
        previous = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        previous = None
    if previous is not None:
        if job.kind not in RESUMABLE or previous.get_status(refresh=False) in _LIVE:
            return False
        previous.delete()
    admin_queue(redis).enqueue(
        RUNNERS.get(job.kind, MEMBER_RUNNER), job.id, job_id=job_id,
        job_timeout=3600, failure_ttl=queues.FAILURE_TTL,
    )
    return True


def latest(session: Session, shop_id: str, kind: BulkJobKind) -> BulkJob | None:
    return session.scalar(
        select(BulkJob).where(BulkJob.shop_id == shop_id, BulkJob.kind == kind.value)
        .order_by(BulkJob.created_at.desc()).limit(1)
    )


def get_job(session: Session, shop_id: str, job_id: str) -> BulkJob:
    return get_owned(session, BulkJob, shop_id, job_id, "Job")


def locked(session: Session, bulk_job_id: str) -> BulkJob | None:
    """The job's row, locked. A job is handed its row's id alone: its shop is read first, so the lock
    names it (Citus locks a row only on its own shard)."""
    shop_id = session.scalar(select(BulkJob.shop_id).where(BulkJob.id == bulk_job_id))
    return session.scalars(
        select(BulkJob).where(BulkJob.id == bulk_job_id, BulkJob.shop_id == shop_id)
        .with_for_update().execution_options(populate_existing=True)).first()


def run_bulk_job(bulk_job_id: str) -> None:
    """The RQ job of the member kinds: batches of members by id, one transaction each, progress saved
    with each batch."""
    def members(maker: sessionmaker[Session], job: BulkJob) -> None:
        after = ""
        process = sync_members if job.kind == BulkJobKind.SYNC_ALL_MEMBERS.value else recompute_tiers
        while True:
            with maker.begin() as session:
                ids = list(session.scalars(
                    _members(job.shop_id, job.kind).where(Customer.id > after).order_by(Customer.id).limit(BATCH_SIZE)
                ))
                if not ids:
                    return
                process(session, ids)
                add_progress(session, job.id, len(ids))
                after = ids[-1]

    run_tracked(bulk_job_id, members)


def run_tracked(bulk_job_id: str, body: Callable[[sessionmaker[Session], BulkJob], dict[str, Any] | None]) -> None:
    """A job's life in its row: ``running``, then the body (given the sessions and the job's row as it
    started, detached), then ``done`` with what the body returns as the result, or ``failed``."""
    maker = runtime.context().sessions
    with maker.begin() as session:
        job = session.get(BulkJob, bulk_job_id)
        if job is None or job.status not in ACTIVE:
            return
        job.status = BulkJobStatus.RUNNING.value
        session.flush()
        session.expunge(job)
    try:
        result = body(maker, job)
        finish(maker(), bulk_job_id, BulkJobStatus.DONE, None, result)
    except Exception as error:
        finish(maker(), bulk_job_id, BulkJobStatus.FAILED, error_text(error))
        raise


def add_progress(session: Session, job_id: str, done: int, *, total: int | None = None) -> None:
    """Count ``done`` more of the job's items, in the caller's transaction (with the work they are)."""
    values: dict[str, Any] = {"done": BulkJob.done + done}
    if total is not None:
        values["total"] = total
    session.execute(update(BulkJob).where(BulkJob.id == job_id).values(**values))


def finish(session: Session, job_id: str, status: BulkJobStatus, error: str | None,
           result: dict[str, Any] | None = None) -> None:
    with session.begin():
        values: dict[str, Any] = {"status": status.value, "error": error, "finished_at": utcnow()}
        if result is not None:
            values["result"] = result
        session.execute(update(BulkJob).where(BulkJob.id == job_id).values(**values))


def sync_members(session: Session, customer_ids: list[str]) -> None:
    for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
        enqueue_customer_sync(session, customer, reason="bulk_sync")


def recompute_tiers(session: Session, customer_ids: list[str]) -> None:
    """Move each customer to the tier their lifetime points reach now; changes are logged and synced."""
    target = tier_for_lifetime(Customer.lifetime_points)
    rows = session.execute(
        select(Customer, target).where(Customer.id.in_(customer_ids))
    ).tuples()
    for customer, tier_id in rows:
        if customer.vip_tier_id == tier_id:
            continue
        previous = customer.vip_tier_id
        customer.vip_tier_id = tier_id
        tier_changed(session, customer, previous_tier_id=previous)
        enqueue_customer_sync(session, customer, reason="vip_tier_changed")
