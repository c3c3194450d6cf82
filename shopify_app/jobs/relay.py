"""The outbox relay: committed outbox rows become delivery jobs, one per customer and destination."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from redis import Redis
from rq.job import Job, JobStatus
from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.jobs import queues
from shopify_app.models import IntegrationSetting, OutboxMessage, OutboxStatus, OutboxTopic, Service, Shop
from shopify_app.shops.tokens import AWAITS_RECONNECT

log = logging.getLogger(__name__)
GROUPS_PER_PASS = 500
# However often a customer changes, what has waited this long goes out.
MAX_COALESCE_DELAY = dt.timedelta(seconds=10)
# Enqueued rows whose job vanished from Redis (a Redis restart without persistence) go back to pending.
LOST_AFTER = dt.timedelta(minutes=2)


VENDOR_TOPICS = frozenset(service.value for service in Service)
SHOPIFY_TOPICS = frozenset({OutboxTopic.SHOPIFY_CUSTOMER_METAFIELD.value, OutboxTopic.SHOPIFY_SHOP_METAFIELD.value})


@dataclass(frozen=True)
class Group:
    shop_id: str
    topic: str
    customer_id: str | None
    last_row_id: int


def settled_groups(session: Session, *, coalesce: dt.timedelta, now: dt.datetime,
                   limit: int = GROUPS_PER_PASS) -> list[Group]:
    """Pending rows grouped by (shop, topic, customer), once no change came for ``coalesce``.

    Shopify work of a shop awaiting reconnect stays pending (in SQL, so it never fills the page)
    until the merchant's next admin load gives the shop a token again."""
    newest, oldest = func.max(OutboxMessage.created_at), func.min(OutboxMessage.created_at)
    awaiting = and_(OutboxMessage.topic.in_(SHOPIFY_TOPICS),
                    OutboxMessage.shop_id.in_(select(Shop.id).where(AWAITS_RECONNECT)))
    result = session.execute(
        select(OutboxMessage.shop_id, OutboxMessage.topic, OutboxMessage.customer_id, func.max(OutboxMessage.id))
        .where(OutboxMessage.status == OutboxStatus.PENDING.value, not_(awaiting))
        .group_by(OutboxMessage.shop_id, OutboxMessage.topic, OutboxMessage.customer_id)
        .having(or_(newest <= now - coalesce, oldest <= now - MAX_COALESCE_DELAY))
        .order_by(func.min(OutboxMessage.id))
        .limit(limit)
    )
    return [Group(*row) for row in result]


def relay(sessions: sessionmaker[Session], redis: Redis, config: Config, *, coalesce: dt.timedelta) -> int:
    """Enqueue every settled group; returns how many. Redis being down leaves the rows pending.

    The job is enqueued before the rows are marked, so a crash in between at worst enqueues the
    same deterministic job id again; delivery is idempotent and also takes rows still pending."""
    with sessions.begin() as session:
        groups = settled_groups(session, coalesce=coalesce, now=utcnow())
        configured = configured_services(session, {group.shop_id for group in groups})
        sync = queues.queue(redis, queues.SYNC)
        for group in groups:
            if group.topic in VENDOR_TOPICS and (group.shop_id, group.topic) not in configured:
                _mark(session, group, status=OutboxStatus.SKIPPED.value, processed_at=utcnow(),
                      last_error=f"{group.topic} is not set up for this shop")
                continue
            job_id = queues.job_id("sync", group.topic, group.customer_id or group.shop_id, group.last_row_id)
            sync.enqueue(
                "shopify_app.jobs.delivery.deliver", group.topic, group.shop_id, group.customer_id,
                group.last_row_id, job_id=job_id, job_timeout=queues.SYNC_TIMEOUT, result_ttl=queues.RESULT_TTL,
                failure_ttl=queues.FAILURE_TTL, retry=queues.network_retry(config.job_retry_intervals),
            )
            _mark(session, group, status=OutboxStatus.ENQUEUED.value, job_id=job_id, enqueued_at=utcnow())
    return len(groups)


def configured_services(session: Session, shop_ids: set[str]) -> set[tuple[str, str]]:
    """(shop, service) pairs with an enabled key: rows for the others end skipped without a job."""
    if not shop_ids:
        return set()
    return {(shop_id, service) for shop_id, service in session.execute(
        select(IntegrationSetting.shop_id, IntegrationSetting.service)
        .where(IntegrationSetting.shop_id.in_(shop_ids), IntegrationSetting.enabled.is_(True),
               IntegrationSetting.api_key_ciphertext.is_not(None))
    )}


def _mark(session: Session, group: Group, **values: object) -> None:
    """Update the group's rows that are still pending (a delivery may have finished them already)."""
    same_customer = (OutboxMessage.customer_id.is_(None) if group.customer_id is None
                     else OutboxMessage.customer_id == group.customer_id)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.shop_id == group.shop_id, OutboxMessage.topic == group.topic, same_customer,
               OutboxMessage.id <= group.last_row_id, OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def recover_lost(sessions: sessionmaker[Session], redis: Redis) -> int:
    """Rows left ``enqueued`` by a job that is gone: back to pending when Redis lost the job, failed
    when RQ gave up on it without the job recording it (its worker died on the last try). Returns how many jobs."""
    with sessions.begin() as session:
        # A job's rows are one shop's (one group): naming the shop routes each UPDATE to its shard.
        stale = session.execute(
            select(OutboxMessage.job_id, OutboxMessage.shop_id).distinct()
            .where(OutboxMessage.status == OutboxStatus.ENQUEUED.value,
                   OutboxMessage.enqueued_at <= utcnow() - LOST_AFTER)
            .limit(GROUPS_PER_PASS)
        ).all()
        found = 0
        for job_id, shop_id in stale:
            if job_id is None:
                continue
            job = Job.fetch(job_id, connection=redis, serializer=queues.SERIALIZER) \
                if Job.exists(job_id, connection=redis) else None
            if job is None:
                values: dict[str, object] = {"status": OutboxStatus.PENDING.value}
            elif job.get_status() == JobStatus.FAILED:
                values = {"status": OutboxStatus.FAILED.value, "last_error": "RQ gave up on the job: its worker died"}
            else:
                continue
            found += 1
            log.warning("outbox: job %s is gone, its rows become %s", job_id, values["status"])
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.job_id == job_id, OutboxMessage.shop_id == shop_id,
                       OutboxMessage.status == OutboxStatus.ENQUEUED.value)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    return found
