"""A burst of orders/paid deliveries: listed for drain jobs of a batch each, each applied once, none lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.jobs import delivery_bursts, webhooks
from shopify_app.jobs.webhooks import enqueue_unprocessed_deliveries, webhooks_queue
from shopify_app.models import WebhookDelivery
from tests.shopify_signing import SHOP, post_webhook, run_jobs, work
from tests.webhooks.test_orders import entries, failing_order, order

ORDERS = range(1, 6)


def post_orders(client: FlaskClient, order_ids: range = ORDERS) -> None:
    for order_id in order_ids:
        assert post_webhook(client, "orders/paid", order(order_id)).status_code == 200


def entry_counts(app: Flask, order_ids: range = ORDERS) -> list[int]:
    return [len(entries(app, str(order_id))) for order_id in order_ids]


def unprocessed(session: Session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.processed_at.is_(None))))


def test_a_burst_is_one_drain_job_and_each_batch_claims_the_next(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "BATCH_SIZE", 2)
    post_orders(client)
    queue = webhooks_queue(redis)
    [drain] = queue.jobs
    assert drain.func_name.endswith("drain_deliveries") and drain.args == [SHOP] and drain.retries_left == 5
    run_jobs(app, redis)
    assert entry_counts(app) == [1] * len(ORDERS)
    assert queue.finished_job_registry.count == 3  # batches of 2, 2 and 1

    post_orders(client, range(6, 7))  # after the last take: a drain of its own
    assert queue.count == 1
    run_jobs(app, redis)
    assert entry_counts(app, range(1, 7)) == [1] * 6


def test_deliveries_taken_by_a_worker_that_died_are_enqueued_by_the_sweep(
        client: FlaskClient, app: Flask, redis: Redis, session: Session, demo_shop: dict[str, Any]) -> None:
    post_orders(client)
    assert len(delivery_bursts.take(redis, SHOP, webhooks.BATCH_SIZE)) == len(ORDERS)
    webhooks_queue(redis).empty()  # the drain job died with its worker
    later = utcnow() + dt.timedelta(minutes=5)
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 1
    assert webhooks_queue(redis).jobs[0].func_name.endswith("process_deliveries")
    run_jobs(app, redis)
    assert entry_counts(app) == [1] * len(ORDERS) and unprocessed(session) == []


def test_listed_deliveries_whose_drain_was_lost_get_a_drain_from_the_sweep(
        client: FlaskClient, app: Flask, redis: Redis, session: Session, demo_shop: dict[str, Any]) -> None:
    post_orders(client)
    queue = webhooks_queue(redis)
    queue.empty()
    later = utcnow() + dt.timedelta(minutes=5)
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0  # the claim holds: a drain may be queued
    redis.delete(delivery_bursts._claim_key(SHOP))  # the claim lapsed
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 1
    [drain] = queue.jobs
    assert drain.func_name.endswith("drain_deliveries")
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0  # claimed again, not doubled
    run_jobs(app, redis)
    assert entry_counts(app) == [1] * len(ORDERS) and unprocessed(session) == []


def test_a_failing_delivery_of_a_drain_gets_a_retried_job_and_the_others_are_applied(
        client: FlaskClient, app: Flask, redis: Redis, session: Session, demo_shop: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    undo = failing_order(monkeypatch, "3")
    post_orders(client)
    queue = work(app, redis)
    assert entry_counts(app) == [1, 1, 0, 1, 1]
    [failed] = unprocessed(session)
    assert (failed.attempts, failed.last_error) == (1, "KeyError: 'id'")
    [retry_id] = queue.scheduled_job_registry.get_job_ids()
    assert retry_id == webhooks.delivery_job_id(failed.id)
    later = utcnow() + dt.timedelta(minutes=5)
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0  # its retry is scheduled

    undo()
    retry = queue.fetch_job(retry_id)
    assert retry is not None and retry.args == [failed.id, SHOP] and retry.retries_left == 4
    queue.scheduled_job_registry.remove(retry)
    queue.enqueue_job(retry)  # the scheduler's move when the time comes
    run_jobs(app, redis)
    assert entry_counts(app) == [1] * len(ORDERS) and unprocessed(session) == []


@pytest.mark.parametrize("script_known", [True, False], ids=["evalsha", "eval-after-a-restart"])
def test_a_listing_claims_the_drain_once_until_a_take_releases_it(redis: Redis, script_known: bool) -> None:
    delivery_bursts.add(redis, "warm-up.myshopify.com", "whd_0")  # the script is known to Redis now
    if not script_known:  # as after a Redis restart: EVALSHA answers NOSCRIPT and the script is sent whole
        redis.script_flush()
    assert delivery_bursts.add(redis, SHOP, "whd_1") is True
    assert delivery_bursts.add(redis, SHOP, "whd_2") is False
    assert 0 < redis.ttl(delivery_bursts._claim_key(SHOP)) <= delivery_bursts.CLAIM_SECONDS
    assert delivery_bursts.take(redis, SHOP, 10) == ["whd_1", "whd_2"]
    assert delivery_bursts.add(redis, SHOP, "whd_3") is True
