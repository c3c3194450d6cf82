"""Failed deliveries: listed for people, and sent again on request."""

from __future__ import annotations

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.registry import FailedJobRegistry
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from shopify_app.jobs import queues
from shopify_app.models import OutboxMessage, OutboxStatus, Shop


def _failed(shop_domain: str | None) -> Select[tuple[OutboxMessage]]:
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED.value)
    if shop_domain:
        query = query.join(Shop, Shop.id == OutboxMessage.shop_id).where(Shop.domain == shop_domain)
    return query.order_by(OutboxMessage.id)


def failed_rows(session: Session, shop_domain: str | None = None) -> list[OutboxMessage]:
    return list(session.scalars(_failed(shop_domain)))


def retry_failed(session: Session, redis: Redis, shop_domain: str | None = None) -> int:
    """Failed rows go back to pending for the relay; their spent RQ jobs are removed. Returns how many."""
    rows = failed_rows(session, shop_domain)
    registry = FailedJobRegistry(queues.SYNC, connection=redis, serializer=queues.SERIALIZER)
    for job_id in {row.job_id for row in rows if row.job_id}:
        try:
            registry.remove(job_id, delete_job=True)
        except NoSuchJobError:
            pass  # expired already (failure_ttl): nothing left to clean
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([row.id for row in rows]))
                    .values(status=OutboxStatus.PENDING.value).execution_options(synchronize_session=False))
    return len(rows)
