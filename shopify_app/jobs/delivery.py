"""The delivery job: one outbox group (a customer and a destination) read in one transaction, sent to
the vendor with no transaction open, and its outcome recorded in a second transaction."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import cast

from rq import get_current_job
from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.error_text import error_text
from shopify_app.integrations.http import MAX_IN_JOB_WAIT, AwaitingReconnect, DeliveryError, RetryLater, Skipped
from shopify_app.integrations.profile import loyalty_state
from shopify_app.jobs import queues, runtime
from shopify_app.jobs.destinations import DESTINATIONS, Delivery, Send
from shopify_app.models import Customer, CustomerSyncState, OutboxMessage, OutboxStatus, Shop

log = logging.getLogger(__name__)
OPEN_STATUSES = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value, OutboxStatus.FAILED.value)
DEFERRED = "deferred"
AWAITING_RECONNECT = "awaiting reconnect"


@dataclass(frozen=True)
class Plan:
    """What the read transaction decided: the rows it read, and the call to make (None: skipped, ``note`` says why)."""

    row_ids: list[int]
    send: Send | None
    note: str | None
    version: int | None  # the customer state's version that ``send`` delivers, when it pushes the profile


def deliver(topic: str, shop_id: str, customer_id: str | None, last_row_id: int) -> str:
    """Deliver the open rows of (topic, shop, customer) up to ``last_row_id`` with the customer's current state.

    Deliveries of one customer to one destination are serialized by a Redis lock, so the state
    read inside the lock is never older than the one delivered before it. No transaction (and no
    database connection) is held while the vendor answers: a slow vendor holds no row lock and no
    pool slot. A vendor's wait past MAX_IN_JOB_WAIT schedules the group again at that time."""
    ctx = runtime.context()
    subject = customer_id or shop_id
    try:
        with ctx.redis.lock(f"deliver:{topic}:{subject}", timeout=queues.SYNC_TIMEOUT + 10,
                            blocking_timeout=queues.SYNC_TIMEOUT):
            with ctx.sessions.begin() as session:
                plan = _plan(ctx, session, topic, shop_id, customer_id, last_row_id)
            if plan is None:
                return "nothing to do"  # a repeat of a delivery that already happened
            if plan.send is not None:
                try:
                    plan.send()
                except Skipped as skipped:
                    plan = Plan(plan.row_ids, None, str(skipped), None)
            with ctx.sessions.begin() as session:
                return _record(session, topic, shop_id, customer_id, plan)
    except AwaitingReconnect as error:
        with ctx.sessions.begin() as session:
            _set_aside(session, _group(topic, shop_id, customer_id, last_row_id), error)
        log.info("delivery %s %s waits for the shop to reconnect", topic, subject)
        return AWAITING_RECONNECT
    except RetryLater as error:
        if error.wait <= MAX_IN_JOB_WAIT:
            return _failed(ctx, topic, shop_id, customer_id, last_row_id, error)
        job_id = _retry_at(ctx, topic, shop_id, customer_id, last_row_id, error.wait)
        with ctx.sessions.begin() as session:
            _deferred(session, _group(topic, shop_id, customer_id, last_row_id), error, job_id)
        return DEFERRED
    except Exception as error:
        return _failed(ctx, topic, shop_id, customer_id, last_row_id, error)


def _group(topic: str, shop_id: str, customer_id: str | None, last_row_id: int) -> Select[tuple[OutboxMessage]]:
    return select(OutboxMessage).where(
        OutboxMessage.topic == topic, OutboxMessage.shop_id == shop_id,
        OutboxMessage.customer_id.is_(None) if customer_id is None else OutboxMessage.customer_id == customer_id,
        OutboxMessage.id <= last_row_id, OutboxMessage.status.in_(OPEN_STATUSES),
    ).order_by(OutboxMessage.id)


def _plan(ctx: runtime.Context, session: Session, topic: str, shop_id: str, customer_id: str | None,
          last_row_id: int) -> Plan | None:
    rows = list(session.scalars(_group(topic, shop_id, customer_id, last_row_id)))
    if not rows:
        return None
    row_ids = [row.id for row in rows]
    shop = session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None:
        return Plan(row_ids, None, "the shop is uninstalled", None)
    customer = session.get(Customer, customer_id) if customer_id else None
    state = loyalty_state(session, customer) if customer else None
    synced = session.get(CustomerSyncState, (customer_id, topic)) if customer_id else None
    push_profile = state is None or synced is None or synced.synced_version < state.version
    try:
        send = DESTINATIONS[topic](Delivery(ctx, session, shop, rows, state, push_profile))
    except Skipped as skipped:
        return Plan(row_ids, None, str(skipped), None)
    return Plan(row_ids, send, None, state.version if state is not None and push_profile else None)


def _record(session: Session, topic: str, shop_id: str, customer_id: str | None, plan: Plan) -> str:
    """The outcome on the rows read (only those still open: nothing written twice), and the version delivered."""
    status = OutboxStatus.SKIPPED.value if plan.send is None else OutboxStatus.DONE.value
    now = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(plan.row_ids), OutboxMessage.shop_id == shop_id,
               OutboxMessage.status.in_(OPEN_STATUSES))
        .values(status=status, processed_at=now, attempts=OutboxMessage.attempts + 1, last_error=plan.note)
        .execution_options(synchronize_session=False)
    )
    if customer_id is not None and plan.version is not None and plan.send is not None:
        synced = session.get(CustomerSyncState, (customer_id, topic))
        if synced is None:
            session.add(CustomerSyncState(customer_id=customer_id, topic=topic, shop_id=shop_id,
                                          synced_version=plan.version))
        elif synced.synced_version < plan.version:
            synced.synced_version, synced.synced_at = plan.version, now
    return status


def _failed(ctx: runtime.Context, topic: str, shop_id: str, customer_id: str | None, last_row_id: int,
            error: Exception) -> str:
    """Keep the error on the rows; RQ retries the job unless the vendor refused the request itself."""
    job = get_current_job()
    final = not getattr(error, "retryable", True) or job is None or not job.retries_left
    with ctx.sessions.begin() as session:
        _record_failure(session, _group(topic, shop_id, customer_id, last_row_id), error, final=final)
    if isinstance(error, DeliveryError) and not error.retryable:
        log.warning("delivery %s %s failed for good: %s", topic, customer_id or shop_id, error)
        return OutboxStatus.FAILED.value  # visible on the rows; retrying as-is would fail again
    raise error


def _retry_at(ctx: runtime.Context, topic: str, shop_id: str, customer_id: str | None, last_row_id: int,
              wait: float) -> str:
    """The same delivery as a new job at the time the vendor gave (RQ's retries keep their own intervals)."""
    at = utcnow() + dt.timedelta(seconds=math.ceil(wait))
    job_id = queues.job_id("sync", topic, customer_id or shop_id, last_row_id, "at", int(at.timestamp()))
    queues.queue(ctx.redis, queues.SYNC).enqueue_at(
        at, "shopify_app.jobs.delivery.deliver", topic, shop_id, customer_id, last_row_id, job_id=job_id,
        job_timeout=queues.SYNC_TIMEOUT, result_ttl=queues.RESULT_TTL, failure_ttl=queues.FAILURE_TTL,
        retry=queues.network_retry(ctx.config.job_retry_intervals),
    )
    return job_id


def _deferred(session: Session, group: Select[tuple[OutboxMessage]], error: RetryLater, job_id: str) -> None:
    """The rows belong to the scheduled job now (``relay.recover_lost`` watches that one)."""
    _update(session, group, {"status": OutboxStatus.ENQUEUED.value, "job_id": job_id, "enqueued_at": utcnow(),
                             "attempts": OutboxMessage.attempts + 1, "last_error": error_text(error)})


def _set_aside(session: Session, group: Select[tuple[OutboxMessage]], error: AwaitingReconnect) -> None:
    """Back to pending: the relay enqueues them again once the shop has a token (``tokens.AWAITS_RECONNECT``)."""
    _update(session, group, {"status": OutboxStatus.PENDING.value, "last_error": error_text(error)})


def _record_failure(session: Session, group: Select[tuple[OutboxMessage]], error: BaseException, *,
                    final: bool) -> None:
    """Keep the last error on the rows; after the last retry they are marked failed for `jobs retry-failed`."""
    values: dict[str, object] = {"attempts": OutboxMessage.attempts + 1, "last_error": error_text(error)}
    if final:
        values["status"] = OutboxStatus.FAILED.value
    _update(session, group, values)


def _update(session: Session, group: Select[tuple[OutboxMessage]], values: dict[str, object]) -> None:
    # The group's own WHERE (``_group`` always has one), which names the shop: Citus routes the
    # UPDATE to the shop's shard.
    where = cast("ColumnElement[bool]", group.whereclause)
    session.execute(update(OutboxMessage).where(where).values(**values)
                    .execution_options(synchronize_session=False))
