"""The sweep's batches: many deliveries handed to one job, applied in one transaction, each once."""

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
from shopify_app.db import sessionmaker_for
from shopify_app.jobs import runtime
from shopify_app.jobs.webhooks import enqueue_unprocessed_deliveries, process_deliveries, webhooks_queue
from shopify_app.models import WebhookDelivery
from tests.shopify_signing import SHOP, post_webhook, run_jobs, work
from tests.webhooks.test_orders import entries, failing_order, member, order, refund

ORDERS = range(1, 6)


def lost_deliveries(client: FlaskClient, redis: Redis) -> list[str]:
    """orders/paid deliveries recorded, whose jobs Redis then lost."""
    for order_id in ORDERS:
        assert post_webhook(client, "orders/paid", order(order_id)).status_code == 200
    redis.flushdb()
    with sessionmaker_for(client.application)() as session:
        return list(session.scalars(select(WebhookDelivery.id)))


def run_batch(app: Flask, delivery_ids: list[str]) -> None:
    runtime.bind(app)
    with app.app_context():
        process_deliveries(SHOP, delivery_ids)


def test_the_sweep_hands_waiting_deliveries_to_one_job_and_a_retry_doubles_nothing(
        client: FlaskClient, app: Flask, redis: Redis, session: Session, demo_shop: dict[str, Any]) -> None:
    delivery_ids = lost_deliveries(client, redis)
    later = utcnow() + dt.timedelta(minutes=5)
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 1
    [batch] = webhooks_queue(redis).jobs
    assert batch.func_name.endswith("process_deliveries") and batch.args[0] == SHOP
    assert sorted(batch.args[1]) == sorted(delivery_ids)
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0  # the batch is queued already
    run_jobs(app, redis)
    assert [len(entries(app, str(order_id))) for order_id in ORDERS] == [1] * len(ORDERS)
    balance = member(app).current_points

    run_batch(app, delivery_ids)  # the batch run again: every delivery is applied already
    assert [len(entries(app, str(order_id))) for order_id in ORDERS] == [1] * len(ORDERS)
    assert member(app).current_points == balance
    session.expire_all()
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0


def test_one_failing_delivery_fails_alone_and_its_batch_retry_applies_it(
        client: FlaskClient, app: Flask, redis: Redis, session: Session, demo_shop: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    delivery_ids = lost_deliveries(client, redis)
    undo = failing_order(monkeypatch, "3")
    assert enqueue_unprocessed_deliveries(session, redis, now=utcnow() + dt.timedelta(minutes=5)) == 1
    queue = work(app, redis)
    assert [len(entries(app, str(order_id))) for order_id in ORDERS] == [1, 1, 0, 1, 1]
    [failed] = session.scalars(select(WebhookDelivery).where(WebhookDelivery.processed_at.is_(None)))
    assert failed.payload is not None and failed.payload["id"] == "3"
    assert (failed.attempts, failed.last_error) == (1, "KeyError: 'id'")
    assert queue.scheduled_job_registry.count == 1  # RQ's Retry runs the batch again later

    undo()
    run_batch(app, delivery_ids)  # the retry: the four applied are skipped, the third is applied
    assert [len(entries(app, str(order_id))) for order_id in ORDERS] == [1] * len(ORDERS)
    session.expire_all()
    assert all(row.processed_at is not None for row in session.scalars(select(WebhookDelivery)))


def test_paid_orders_around_a_refund_and_repeated_in_one_batch_are_each_applied_once(
        client: FlaskClient, app: Flask, redis: Redis, session: Session, demo_shop: dict[str, Any]) -> None:
    delivery_ids: list[str] = []
    for topic, payload in (("orders/paid", order(1)), ("refunds/create", refund(11, 1, "50.00")),
                           ("orders/paid", order(2)), ("orders/paid", order(1)), ("orders/paid", order(2))):
        assert post_webhook(client, topic, payload).status_code == 200
        delivery_ids += set(session.scalars(select(WebhookDelivery.id))) - set(delivery_ids)
    redis.flushdb()
    run_batch(app, delivery_ids)  # two runs of paid orders around the refund, each one call; the second repeats both
    earned, reversed_ = entries(app, "1")
    assert earned.points > 0 and reversed_.points == -round(earned.points * 50 / 100.99)
    assert len(entries(app, "2")) == 1
    session.expire_all()
    assert all(row.processed_at is not None for row in session.scalars(select(WebhookDelivery)))
