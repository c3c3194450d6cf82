"""RQ jobs of the webhook intake and install: enqueued after commit, by id, idempotent."""

from __future__ import annotations

import datetime as dt
import logging
from itertools import groupby
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import JobStatus
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.error_text import error_text
from shopify_app.ids import new_id
from shopify_app.integrations.http import AwaitingReconnect
from shopify_app.integrations.shopify_graphql import shop_identity
from shopify_app.jobs import bulk, delivery_bursts, queues, runtime
from shopify_app.jobs.destinations import shopify_client
from shopify_app.jobs.webhook_deliveries import refuse
from shopify_app.jobs.webhook_topics import apply
from shopify_app.loyalty.program.defaults import set_up_default_program
from shopify_app.models import BulkJob, BulkJobKind, Shop, WebhookDelivery
from shopify_app.shops.installs import awaits_set_up, keep_shopify_shop_id, keep_time_zone, lacks_shopify_shop_id

JOB_TIMEOUT = 60
RETRY_INTERVALS = [10, 60, 300, 1800, 3600]
# A delivery younger than this may still be on its way to the queue from the intake.
SWEEP_GRACE = dt.timedelta(seconds=60)
# The sweep hands deliveries to one job this many at a time, applied in one transaction.
BATCH_SIZE = 100
# Topics whose deliveries come in bursts (a sale): a shop's burst is drained by one job per
# BATCH_SIZE deliveries, each batch applied in one transaction.
BURST_TOPICS = frozenset({"orders/paid"})
# Past this many failed runs a delivery waits for a person (its last_error says why).
MAX_ATTEMPTS = 20
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

logger = logging.getLogger(__name__)


def webhooks_queue(redis: Redis) -> Queue:
    return queues.queue(redis, queues.WEBHOOKS)


def _enqueue(redis: Redis, function: str, args: list[Any], job_id: str) -> None:
    # One round trip to Redis instead of several: this runs inside the webhook response time.
    with redis.pipeline() as pipeline:
        webhooks_queue(redis).enqueue_call(
            function, args=args, job_id=job_id, retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=queues.FAILURE_TTL, pipeline=pipeline,
        )
        pipeline.execute()


def delivery_job_id(delivery_id: str) -> str:
    return f"webhook-{delivery_id}"


def enqueue_delivery(redis: Redis, delivery_id: str, shop_domain: str) -> None:
    _enqueue(redis, "shopify_app.jobs.webhooks.process_delivery", [delivery_id, shop_domain],
             delivery_job_id(delivery_id))


def enqueue_received(redis: Redis, delivery_id: str, shop_domain: str, topic: str) -> None:
    """Queue a delivery the intake recorded: a burst topic's on its shop's list, for a drain job (enqueued
    when none is claimed), any other to a job of its own."""
    if topic not in BURST_TOPICS:
        enqueue_delivery(redis, delivery_id, shop_domain)
    elif delivery_bursts.add(redis, shop_domain, delivery_id):
        enqueue_drain(redis, shop_domain)


def enqueue_drain(redis: Redis, shop_domain: str) -> None:
    _enqueue(redis, "shopify_app.jobs.webhooks.drain_deliveries", [shop_domain], new_id("webhook-drain"))


def _enqueue_retry(redis: Redis, delivery_id: str, shop_domain: str) -> None:
    """A drained delivery that failed gets a job of its own, scheduled and retried as the intake's
    single jobs are: the drain's run was its first."""
    webhooks_queue(redis).enqueue_in(
        dt.timedelta(seconds=RETRY_INTERVALS[0]), "shopify_app.jobs.webhooks.process_delivery",
        args=[delivery_id, shop_domain], job_id=delivery_job_id(delivery_id),
        retry=Retry(max=len(RETRY_INTERVALS) - 1, interval=RETRY_INTERVALS[1:]),
        job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=queues.FAILURE_TTL)


def enqueue_program_setup(redis: Redis, shop_id: str) -> None:
    _enqueue(redis, "shopify_app.jobs.webhooks.set_up_program", [shop_id], f"program-setup-{shop_id}")


def enqueue_batch(redis: Redis, shop_domain: str, delivery_ids: list[str]) -> None:
    """One job for many deliveries of one shop (the sweep's); named after the first, which the sweep checks."""
    _enqueue(redis, "shopify_app.jobs.webhooks.process_deliveries", [shop_domain, delivery_ids],
             batch_job_id(delivery_ids[0]))


def batch_job_id(first_delivery_id: str) -> str:
    return f"webhook-batch-{first_delivery_id}"


def process_delivery(delivery_id: str, shop_domain: str) -> None:
    """Apply a recorded delivery once, in one transaction; its payload is dropped once applied.

    The job carries the delivery's shop domain, its shard key: every statement on the delivery
    names it, so Citus routes it to one shard."""
    sessions = runtime.context().sessions
    try:
        with sessions.begin() as session:
            _apply(session, [delivery_id], shop_domain)
    except Exception as error:
        with sessions.begin() as session:
            session.execute(update(WebhookDelivery).where(*_this_delivery(delivery_id, shop_domain)).values(
                attempts=WebhookDelivery.attempts + 1, last_error=error_text(error)))
        raise


def process_deliveries(shop_domain: str, delivery_ids: list[str]) -> None:
    """Apply a batch of one shop's recorded deliveries in one transaction, each once (an applied one is skipped).

    If any fails, the batch's transaction is rolled back and each is applied in a transaction of
    its own: the failing one keeps its error and is retried (the whole job is, and what was applied
    is skipped), the others are applied."""
    failures = _apply_batch(shop_domain, delivery_ids)
    if failures:
        raise next(iter(failures.values()))


def drain_deliveries(shop_domain: str) -> None:
    """Take up to BATCH_SIZE of the shop's listed deliveries and apply them as ``process_deliveries`` does.

    A full take leaves more listed, so the next drain is claimed before this batch is applied (another
    worker takes the next batch meanwhile). A delivery that fails keeps its error and is handed to a
    job of its own, retried later; the others of its batch are applied."""
    redis = runtime.context().redis
    delivery_ids = delivery_bursts.take(redis, shop_domain, BATCH_SIZE)
    if len(delivery_ids) == BATCH_SIZE and delivery_bursts.claim(redis, shop_domain):
        enqueue_drain(redis, shop_domain)
    for delivery_id in _apply_batch(shop_domain, delivery_ids):
        _enqueue_retry(redis, delivery_id, shop_domain)


def _apply_batch(shop_domain: str, delivery_ids: list[str]) -> dict[str, Exception]:
    """Apply the deliveries in one transaction, or, if any fails, each in one of its own; the failures by id."""
    if not delivery_ids:
        return {}
    try:
        with runtime.context().sessions.begin() as session:
            _apply(session, delivery_ids, shop_domain)
        return {}
    except Exception:
        logger.warning("a batch of %d webhook deliveries failed; applying them one by one", len(delivery_ids),
                       exc_info=True)
    failures: dict[str, Exception] = {}
    for delivery_id in delivery_ids:
        try:
            process_delivery(delivery_id, shop_domain)
        except Exception as error:
            failures[delivery_id] = error
    return failures


def _this_delivery(delivery_id: str, shop_domain: str) -> tuple[Any, ...]:
    return WebhookDelivery.id == delivery_id, WebhookDelivery.shop_domain == shop_domain


def _apply(session: Session, delivery_ids: list[str], shop_domain: str) -> None:
    """Apply the deliveries in the order given, each once: locked with their shop in one statement
    (in id order, as any other batch locks them), applied by ``webhook_topics.apply`` (a burst topic's
    together), the applied ones marked done in one UPDATE."""
    found = {delivery.id: (delivery, shop) for delivery, shop in session.execute(
        select(WebhookDelivery, Shop).outerjoin(Shop, Shop.domain == WebhookDelivery.shop_domain)
        .where(WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.shop_domain == shop_domain)
        .order_by(WebhookDelivery.id).with_for_update(of=WebhookDelivery)).tuples()}
    waiting = [found[delivery_id][0] for delivery_id in dict.fromkeys(delivery_ids)
               if delivery_id in found and found[delivery_id][0].processed_at is None]
    if not waiting:
        return
    refused = apply(session, waiting, found[waiting[0].id][1], utcnow())
    for delivery in waiting:
        if delivery.id in refused:
            refuse(delivery, refused[delivery.id])
    applied = [delivery.id for delivery in waiting if delivery.id not in refused]
    if applied:
        session.execute(update(WebhookDelivery).where(
            WebhookDelivery.id.in_(applied), WebhookDelivery.shop_domain == shop_domain,
        ).values(processed_at=utcnow(), payload=None).execution_options(synchronize_session=False))


def set_up_program(shop_id: str) -> None:
    """After an install: the default program and the import of the shop's existing customers, then the
    shop's Shopify id and time zone if the id is still missing.

    The id is read here rather than in the install request, which holds the shop's row lock for
    the token exchange: the token is still fresh, and a failed read is retried (then swept)."""
    ctx = runtime.context()
    with ctx.sessions.begin() as session:
        set_up_default_program(session, shop_id)
        shop = session.get(Shop, shop_id)
        customer_import = _start_customer_import(session, shop) if shop is not None else None
        client = shopify_client(ctx, shop) if shop is not None and lacks_shopify_shop_id(shop) else None
    if customer_import is not None:
        bulk.enqueue(ctx.redis, customer_import)
    if client is None:
        return
    try:
        identity = shop_identity(client)  # outside any transaction: no lock waits on Shopify
    except AwaitingReconnect:
        return  # the token was refused; the sweep sets up the shop again once it has a new one
    with ctx.sessions.begin() as session:
        shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update(of=Shop))
        if shop is not None and shop.shopify_shop_id is None:
            keep_shopify_shop_id(session, shop, identity.shopify_shop_id)
            keep_time_zone(shop, identity.iana_timezone)


def _start_customer_import(session: Session, shop: Shop) -> BulkJob | None:
    """The import of this install's existing customers, unless one was started since the install (this
    job runs again after a failure) or the shop has no token to read them with."""
    if shop.access_token_ciphertext is None or shop.installed_at is None:
        return None
    previous = bulk.latest(session, shop.id, BulkJobKind.IMPORT_CUSTOMERS)
    if previous is not None and previous.created_at >= shop.installed_at:
        return None
    return bulk.start(session, shop, BulkJobKind.IMPORT_CUSTOMERS)


def _live(queue: Queue, job_id: str) -> bool:
    job = queue.fetch_job(job_id)
    return job is not None and job.get_status(refresh=False) in _LIVE


def enqueue_unprocessed_deliveries(session: Session, redis: Redis, *, now: dt.datetime | None = None,
                                   limit: int = 1000) -> int:
    """Enqueue deliveries the intake could not (Redis was down) or whose job was lost; for the scheduler.

    A burst of them goes to ``process_deliveries`` in batches of BATCH_SIZE; those still listed for a
    drain job are left to it (its drain is enqueued again if its claim lapsed). Also enqueues the
    set-up job of installed shops that still wait for their program or their Shopify id.
    Returns how many jobs it enqueued."""
    queue = webhooks_queue(redis)
    cutoff = (now or utcnow()) - SWEEP_GRACE
    deliveries = session.execute(
        select(WebhookDelivery.shop_domain, WebhookDelivery.id).where(
            WebhookDelivery.processed_at.is_(None), WebhookDelivery.received_at < cutoff,
            WebhookDelivery.attempts < MAX_ATTEMPTS,
        ).order_by(WebhookDelivery.shop_domain, WebhookDelivery.received_at).limit(limit)
    ).all()
    count = 0
    for shop_domain, shop_deliveries in groupby(deliveries, key=lambda delivery: delivery.shop_domain):
        listed = delivery_bursts.listed(redis, shop_domain)
        shop_ids = [delivery.id for delivery in shop_deliveries]
        # A listed delivery waits for a drain job: one is claimed unless a claim is still held.
        if listed.intersection(shop_ids) and delivery_bursts.claim(redis, shop_domain):
            enqueue_drain(redis, shop_domain)
            count += 1
        waiting = [delivery_id for delivery_id in shop_ids
                   if delivery_id not in listed and not _live(queue, delivery_job_id(delivery_id))]
        # Each shop's oldest first, so a batch still queued or running starts with the same delivery at
        # the next sweep and is not enqueued again (were it, its deliveries would be skipped once applied).
        for start in range(0, len(waiting), BATCH_SIZE):
            batch = waiting[start:start + BATCH_SIZE]
            if len(batch) == 1:
                enqueue_delivery(redis, batch[0], shop_domain)
            elif not _live(queue, batch_job_id(batch[0])):
                enqueue_batch(redis, shop_domain, batch)
            else:
                continue
            count += 1
    shops = session.scalars(select(Shop).where(
        Shop.installed_at.is_not(None), Shop.installed_at < cutoff, Shop.uninstalled_at.is_(None))).all()
    for shop in shops:
        if awaits_set_up(session, shop) and not _live(queue, f"program-setup-{shop.id}"):
            enqueue_program_setup(redis, shop.id)
            count += 1
    return count
