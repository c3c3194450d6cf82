"""POST /webhooks: signatures, headers, recording each delivery once, enqueueing after commit."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app import create_app, migrations
from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.jobs import webhook_topics
from shopify_app.jobs.webhooks import enqueue_unprocessed_deliveries, webhooks_queue
from shopify_app.models import Customer, EarningRule, WebhookDelivery
from tests import factories
from tests.shopify_signing import SHOP, post_webhook, run_jobs, webhook_headers, work

CUSTOMER = {"id": 501, "email": "Ann@Example.com", "first_name": "Ann", "last_name": "Lee",
            "created_at": "2024-03-01T10:00:00-05:00"}


def deliveries(app: Flask) -> list[WebhookDelivery]:
    with sessionmaker_for(app)() as session:
        return list(session.scalars(select(WebhookDelivery)))


def test_signed_delivery_is_recorded_enqueued_and_processed(client: FlaskClient, app: Flask, redis: Redis,
                                                            demo_shop: dict[str, Any]) -> None:
    started = time.perf_counter()
    response = post_webhook(client, "customers/create", CUSTOMER, webhook_id="wh-1")
    assert response.status_code == 200
    # Shopify waits 5 s at most; bench/webhooks.py measures the real latency under load.
    assert time.perf_counter() - started < 2
    [row] = deliveries(app)
    assert (row.webhook_id, row.topic, row.shop_domain, row.processed_at) == ("wh-1", "customers/create", SHOP, None)
    assert row.api_version == "2026-10"
    queue = webhooks_queue(redis)
    assert queue.name == "webhooks" and queue.job_ids == [f"webhook-{row.id}"]
    job = queue.fetch_job(f"webhook-{row.id}")
    assert job is not None and job.args == [row.id, row.shop_domain] and job.timeout == 60 and job.retries_left == 5

    run_jobs(app, redis)
    [row] = deliveries(app)
    assert row.processed_at is not None and row.payload is None
    with sessionmaker_for(app)() as session:
        assert session.scalar(select(Customer.email).where(Customer.shopify_customer_id == "501")) == "Ann@Example.com"


def test_previous_secret_is_accepted_during_a_rotation(app_config: Config, redis: Redis) -> None:
    rotated = Config(**{**app_config.__dict__, "shopify_api_secret": "new-secret-" + "n" * 32,
                        "shopify_api_secret_previous": app_config.shopify_api_secret})
    rotated_app = create_app(rotated)
    migrations.upgrade(engine_for(rotated_app))
    client = rotated_app.test_client()
    assert post_webhook(client, "customers/create", CUSTOMER).status_code == 200
    assert post_webhook(client, "customers/create", CUSTOMER, secret="new-secret-" + "n" * 32).status_code == 200
    assert post_webhook(client, "customers/create", CUSTOMER, secret="another-" + "x" * 32).status_code == 401
    engine_for(rotated_app).dispose()


@pytest.mark.parametrize("tamper", ["body", "hmac", "empty-hmac-value", "non-ascii"])
def test_bad_hmac_is_401_and_nothing_is_written(client: FlaskClient, app: Flask, redis: Redis, tamper: str) -> None:
    body = json.dumps(CUSTOMER).encode()
    headers = webhook_headers(body, "customers/redact")
    if tamper == "body":
        body = body.replace(b"Ann", b"Bob")
    elif tamper == "hmac":
        headers["X-Shopify-Hmac-Sha256"] = webhook_headers(b"{}", "customers/redact")["X-Shopify-Hmac-Sha256"]
    elif tamper == "empty-hmac-value":
        headers["X-Shopify-Hmac-Sha256"] = "=="
    else:
        headers["X-Shopify-Hmac-Sha256"] = "é" * 44
    response = client.post("/webhooks", data=body, headers=headers)
    assert response.status_code == 401
    assert deliveries(app) == [] and webhooks_queue(redis).count == 0


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"])
def test_missing_header_is_400(client: FlaskClient, app: Flask, header: str) -> None:
    body = json.dumps(CUSTOMER).encode()
    headers = webhook_headers(body, "customers/create")
    del headers[header]
    assert client.post("/webhooks", data=body, headers=headers).status_code == 400
    assert deliveries(app) == []


@pytest.mark.parametrize("shop", ["evil.com/x.myshopify.com", "x.myshopify.com.evil.test", "https://x.myshopify.com"])
def test_hostile_shop_domain_is_400(client: FlaskClient, app: Flask, shop: str) -> None:
    assert post_webhook(client, "customers/create", CUSTOMER, shop=shop).status_code == 400
    assert deliveries(app) == []


def test_signed_body_that_is_not_a_json_object_is_400(client: FlaskClient, app: Flask) -> None:
    body = b"[1, 2]"
    assert client.post("/webhooks", data=body, headers=webhook_headers(body, "orders/paid")).status_code == 400
    assert deliveries(app) == []


def test_repeated_webhook_id_answers_200_with_no_second_effect(client: FlaskClient, app: Flask, redis: Redis,
                                                               demo_shop: dict[str, Any]) -> None:
    for _ in range(3):
        assert post_webhook(client, "customers/create", CUSTOMER, webhook_id="same").status_code == 200
    assert len(deliveries(app)) == 1 and webhooks_queue(redis).count == 1
    run_jobs(app, redis)
    assert post_webhook(client, "customers/create", CUSTOMER, webhook_id="same").status_code == 200
    assert webhooks_queue(redis).count == 0


def test_redis_down_still_answers_200_and_the_sweep_enqueues_later(app_config: Config, app: Flask, redis: Redis,
                                                                     session: Session) -> None:
    down = create_app(Config(**{**app_config.__dict__, "redis_url": "redis://127.0.0.1:1/0"}))
    response = post_webhook(down.test_client(), "customers/create", CUSTOMER)
    engine_for(down).dispose()
    assert response.status_code == 200
    [row] = deliveries(app)
    assert row.processed_at is None and webhooks_queue(redis).count == 0

    assert enqueue_unprocessed_deliveries(session, redis) == 0  # still inside the grace period
    later = row.received_at.replace(year=row.received_at.year + 1)
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 1
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0  # its job is queued already
    run_jobs(app, redis)
    assert deliveries(app)[0].processed_at is not None
    assert session.scalar(select(func.count()).select_from(Customer)) == 0  # no shop of ours: a no-op


def test_unsubscribed_topic_is_acknowledged_and_ignored(client: FlaskClient, app: Flask) -> None:
    assert post_webhook(client, "products/update", {"id": 1}).status_code == 200
    assert deliveries(app) == []


def test_a_failing_delivery_stays_visible_and_is_retried(client: FlaskClient, app: Flask, redis: Redis,
                                                         demo_shop: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*_: Any) -> None:
        raise KeyError("id")

    monkeypatch.setitem(webhook_topics.INSTALLED_SHOP_BATCH_TOPICS, "orders/paid", failing)
    assert post_webhook(client, "orders/paid", {"id": 1, "subtotal_price": "1.00"}).status_code == 200
    work(app, redis)
    [row] = deliveries(app)
    assert row.processed_at is None and row.attempts == 1 and row.last_error == "KeyError: 'id'"
    assert row.payload is not None  # kept until it can be applied
    assert webhooks_queue(redis).scheduled_job_registry.count == 1  # RQ's Retry runs it again later


def test_the_sweep_sets_up_the_program_of_an_install_whose_job_was_lost(app: Flask, redis: Redis,
                                                                        session: Session) -> None:
    shop = factories.shop(session, "lost-job.myshopify.com")
    shop.installed_at = utcnow()
    session.commit()
    later = shop.installed_at.replace(year=shop.installed_at.year + 1)
    assert enqueue_unprocessed_deliveries(session, redis) == 0
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 1
    run_jobs(app, redis)
    assert len(session.scalars(select(EarningRule).where(EarningRule.shop_id == shop.id)).all()) == 2
    assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0
