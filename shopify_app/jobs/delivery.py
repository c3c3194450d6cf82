"""The delivery job: one outbox group (a customer and a destination) delivered in one transaction."""

from __future__ import annotations

import logging

from rq import get_current_job
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.error_text import error_text
from shopify_app.integrations.http import DeliveryError, Skipped
from shopify_app.integrations.profile import loyalty_state
from shopify_app.jobs import queues, runtime
from shopify_app.jobs.destinations import DESTINATIONS, Delivery
from shopify_app.models import Customer, CustomerSyncState, OutboxMessage, OutboxStatus, Shop

log = logging.getLogger(__name__)
OPEN_STATUSES = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value, OutboxStatus.FAILED.value)


def deliver(topic: str, shop_id: str, customer_id: str | None, last_row_id: int) -> str:
    """Deliver the open rows of (topic, shop, customer) up to ``last_row_id`` with the customer's current state.

    Deliveries of one customer to one destination are serialized by a Redis lock, so the
    state read inside the lock is never older than the one delivered before it."""
    ctx = runtime.context()
    subject = customer_id or shop_id
    try:
        with ctx.redis.lock(f"deliver:{topic}:{subject}", timeout=queues.SYNC_TIMEOUT + 10,
                            blocking_timeout=queues.SYNC_TIMEOUT):
            with ctx.sessions.begin() as session:
                return _deliver(ctx, session, topic, shop_id, customer_id, last_row_id)
    except Exception as error:
        job = get_current_job()
        final = not getattr(error, "retryable", True) or job is None or not job.retries_left
        with ctx.sessions.begin() as session:
            _record_failure(session, _group(topic, shop_id, customer_id, last_row_id), error, final=final)
        if isinstance(error, DeliveryError) and not error.retryable:
            log.warning("delivery %s %s failed for good: %s", topic, subject, error)
            return OutboxStatus.FAILED.value  # visible on the rows; retrying as-is would fail again
        raise


def _group(topic: str, shop_id: str, customer_id: str | None, last_row_id: int) -> Select[tuple[OutboxMessage]]:
    return select(OutboxMessage).where(
        OutboxMessage.topic == topic, OutboxMessage.shop_id == shop_id,
        OutboxMessage.customer_id.is_(None) if customer_id is None else OutboxMessage.customer_id == customer_id,
        OutboxMessage.id <= last_row_id, OutboxMessage.status.in_(OPEN_STATUSES),
    ).order_by(OutboxMessage.id)


def _deliver(ctx: runtime.Context, session: Session, topic: str, shop_id: str, customer_id: str | None,
             last_row_id: int) -> str:
    rows = list(session.scalars(_group(topic, shop_id, customer_id, last_row_id)))
    if not rows:
        return "nothing to do"  # a repeat of a delivery that already happened
    shop = session.get(Shop, shop_id)
    customer = session.get(Customer, customer_id) if customer_id else None
    state = loyalty_state(session, customer) if customer else None
    synced = session.get(CustomerSyncState, (customer_id, topic)) if customer_id else None
    push_profile = state is None or synced is None or synced.synced_version < state.version
    status, note = OutboxStatus.DONE.value, None
    try:
        if shop is None or shop.uninstalled_at is not None:
            raise Skipped("the shop is uninstalled")
        DESTINATIONS[topic](Delivery(ctx, session, shop, rows, state, push_profile))
    except Skipped as skipped:
        status, note = OutboxStatus.SKIPPED.value, str(skipped)
    now = utcnow()
    for row in rows:
        row.status, row.processed_at, row.attempts, row.last_error = status, now, row.attempts + 1, note
    if state is not None and push_profile and status == OutboxStatus.DONE.value:
        if synced is None:
            session.add(CustomerSyncState(customer_id=customer_id, topic=topic, synced_version=state.version))
        else:
            synced.synced_version, synced.synced_at = state.version, now
    return status


def _record_failure(session: Session, group: Select[tuple[OutboxMessage]], error: BaseException, *,
                    final: bool) -> None:
    """Keep the last error on the rows; after the last retry they are marked failed for `jobs retry-failed`."""
    ids = list(session.scalars(group.with_only_columns(OutboxMessage.id)))
    values: dict[str, object] = {"attempts": OutboxMessage.attempts + 1,
                                 "last_error": error_text(error)}
    if final:
        values["status"] = OutboxStatus.FAILED.value
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values)
                    .execution_options(synchronize_session=False))
