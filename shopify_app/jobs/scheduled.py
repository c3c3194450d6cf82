"""Scheduled work, enqueued once per period by whichever worker gets there first: approving due
entries, expiring points, sweeping webhook deliveries, admin bulk jobs and reward codes left half made,
deleting stale webhook payloads and expired idempotency keys, reconciling orders, birthdays, the products of
excluded collections, expiring reward codes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopify_app.clock import utcnow
from shopify_app.integrations.http import AwaitingReconnect
from shopify_app.jobs import queues, reward_codes, runtime
from shopify_app.jobs.bulk import enqueue_waiting
from shopify_app.jobs.destinations import shopify_client
from shopify_app.jobs.webhooks import enqueue_unprocessed_deliveries
from shopify_app.loyalty.earning.celebrations import award_celebrations
from shopify_app.loyalty.earning.reconciliation import PAGE_COST, Execute, apply_orders, read_orders, window_start
from shopify_app.loyalty.ledger.maturing import BATCH, approve_due, expire_points
from shopify_app.loyalty.rewards.redemption import expire_codes
from shopify_app.models import Shop
from shopify_app.privacy.erasure import delete_stale_payloads
from shopify_app.shops import idempotency
from shopify_app.shops.form_submissions import forget_old_form_tokens
from shopify_app.shops.lookup import installed_shop_ids

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


def sweep_webhook_deliveries() -> int:
    """Deliveries the intake could not enqueue (Redis was down) or whose job was lost."""
    ctx = runtime.context()
    with ctx.sessions.begin() as session:
        return enqueue_unprocessed_deliveries(session, ctx.redis)


def delete_stale_webhook_payloads() -> int:
    """Payloads of deliveries never applied, once past their retention (privacy.erasure.PAYLOAD_RETENTION)."""
    with runtime.context().sessions.begin() as session:
        return delete_stale_payloads(session)


def forget_used_form_tokens() -> int:
    """The admin's used form tokens, once past their retention (shops.form_submissions)."""
    with runtime.context().sessions.begin() as session:
        return forget_old_form_tokens(session)


def sweep_idempotency_keys() -> int:
    """API idempotency keys past their 24 hours."""
    with runtime.context().sessions.begin() as session:
        return idempotency.sweep(session)


def sweep_bulk_jobs() -> int:
    """Admin bulk jobs that could not be enqueued (Redis was down) or whose job was lost."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        return enqueue_waiting(session, ctx.redis)


def sweep_reward_codes() -> int:
    """Redemptions whose request died between the spend and Shopify's answer, and codes in doubt."""
    return reward_codes.sweep_creating() + reward_codes.sweep_codes_in_doubt()


def expire_reward_codes() -> int:
    """Unused reward codes past their end become ``expired``."""
    with runtime.context().sessions.begin() as session:
        return expire_codes(session)


def reconcile_all_shops() -> int:
    """One reconciliation job per installed shop, so one shop's throttling never delays another."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        shop_ids = installed_shop_ids(session)
    for shop_id in shop_ids:
        queues.queue(ctx.redis, queues.MAINTENANCE).enqueue(
            "shopify_app.jobs.scheduled.reconcile_one_shop", shop_id, job_id=queues.job_id("reconcile", shop_id),
            job_timeout=queues.MAINTENANCE_TIMEOUT, result_ttl=queues.RESULT_TTL, failure_ttl=queues.FAILURE_TTL,
            retry=queues.network_retry(ctx.config.job_retry_intervals),
        )
    return len(shop_ids)


def reconcile_one_shop(shop_id: str) -> int:
    """Orders Shopify changed since the last run that no webhook brought, through the same handlers.

    A shop whose token Shopify refused is left until it reconnects: the runs after that catch up."""
    ctx = runtime.context()

    def execute(shop: Shop, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return shopify_client(ctx, shop).execute(query, variables, cost=PAGE_COST)

    try:
        return reconcile_shop(ctx.sessions, shop_id, execute)
    except AwaitingReconnect:
        return 0


def reconcile_shop(sessions: sessionmaker[Session], shop_id: str, execute: Execute) -> int:
    """The scheduled job's body for one shop: where to start (a read), Shopify's pages (no transaction
    open), then the orders applied in one transaction. An uninstalled shop is skipped."""
    now = utcnow()
    with sessions() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return 0
        since = window_start(session, shop_id, now)
        session.expunge(shop)  # read by ``execute`` (its id and domain) after the session is gone
    read = read_orders(shop, execute, since, now)
    with sessions.begin() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return 0
        return apply_orders(session, shop, read)


def award_birthdays_and_anniversaries() -> int:
    return run_daily(runtime.context().sessions, utcnow().date())


def run_daily(sessions: sessionmaker[Session], today: dt.date) -> int:
    """The scheduled job: every installed shop, one transaction per shop."""
    with sessions() as session:
        shop_ids = session.scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None))).all()
    written = 0
    for shop_id in shop_ids:
        with sessions.begin() as session:
            shop = session.get(Shop, shop_id)
            if shop is not None and shop.uninstalled_at is None:
                written += award_celebrations(session, shop, today)
    return written


# name: (job function, period in seconds)
PERIODIC = {
    "approve-due": ("shopify_app.jobs.scheduled.approve_due_entries", PERIOD_SECONDS),
    "expire-points": ("shopify_app.jobs.scheduled.expire_due_points", PERIOD_SECONDS),
    "sweep-webhooks": ("shopify_app.jobs.scheduled.sweep_webhook_deliveries", PERIOD_SECONDS),
    "webhook-payload-retention": ("shopify_app.jobs.scheduled.delete_stale_webhook_payloads", 60 * PERIOD_SECONDS),
    "sweep-bulk-jobs": ("shopify_app.jobs.scheduled.sweep_bulk_jobs", PERIOD_SECONDS),
    "sweep-reward-codes": ("shopify_app.jobs.scheduled.sweep_reward_codes", PERIOD_SECONDS),
    "expire-reward-codes": ("shopify_app.jobs.scheduled.expire_reward_codes", 24 * 60 * PERIOD_SECONDS),
    "form-token-retention": ("shopify_app.jobs.scheduled.forget_used_form_tokens", 60 * PERIOD_SECONDS),
    "sweep-idempotency-keys": ("shopify_app.jobs.scheduled.sweep_idempotency_keys", 60 * PERIOD_SECONDS),
    "reconcile-orders": ("shopify_app.jobs.scheduled.reconcile_all_shops", 15 * PERIOD_SECONDS),
    "celebrations": ("shopify_app.jobs.scheduled.award_birthdays_and_anniversaries", 24 * 60 * PERIOD_SECONDS),
    "excluded-collections": ("shopify_app.jobs.collections.refresh_all_shops", 24 * 60 * PERIOD_SECONDS),
}


def enqueue_periodic(redis: Redis, *, now: float | None = None, force: bool = False) -> list[str]:
    """Enqueue each periodic job once per its period, whichever worker gets here first (``force``: now)."""
    enqueued = []
    for name, (function, period) in PERIODIC.items():
        job_id = queues.job_id(name, int((now or time.time()) // period))
        if redis.set(f"periodic:{job_id}", 1, nx=True, ex=period * 2) or force:
            queues.queue(redis, queues.MAINTENANCE).enqueue(
                function, job_id=job_id, job_timeout=queues.MAINTENANCE_TIMEOUT,
                result_ttl=queues.RESULT_TTL, failure_ttl=queues.FAILURE_TTL,
            )
            enqueued.append(job_id)
    return enqueued
