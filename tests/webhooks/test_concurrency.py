"""Deliveries at once: one row per webhook id, and an order's events applied once whatever runs together."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from shopify_app.db import sessionmaker_for
from shopify_app.jobs.webhooks import process_delivery
from shopify_app.models import WebhookDelivery
from tests.shopify_signing import post_webhook
from tests.webhooks.test_orders import entries, member, order, refund

THREADS = 8


def test_concurrent_repeats_of_one_delivery_record_one_row(app: Flask, demo_shop: dict[str, Any]) -> None:
    start = threading.Barrier(THREADS)

    def post(_: int) -> int:
        client = app.test_client()
        start.wait()
        return post_webhook(client, "orders/paid", order(9101), webhook_id="same-delivery").status_code

    with ThreadPoolExecutor(THREADS) as pool:
        assert list(pool.map(post, range(THREADS))) == [200] * THREADS
    with sessionmaker_for(app)() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_an_orders_events_processed_at_once_apply_exactly_once(app: Flask, demo_shop: dict[str, Any]) -> None:
    client = app.test_client()
    events = [("orders/paid", order(9102))] * 3 + [("refunds/create", refund(201, 9102, "30.00"))] * 2 + [
        ("refunds/create", refund(202, 9102, "20.00"))] + [("orders/paid", order(9103))] * 2
    for topic, payload in events:
        assert post_webhook(client, topic, payload).status_code == 200
    with sessionmaker_for(app)() as session:
        deliveries = session.execute(select(WebhookDelivery.id, WebhookDelivery.shop_domain)).all()
    start = threading.Barrier(len(deliveries))

    def work(delivery_id: str, shop_domain: str) -> None:
        start.wait()
        for attempt in range(50):  # what RQ's Retry does when a job loses a race for a lock
            try:
                with app.app_context():
                    process_delivery(delivery_id, shop_domain)
                return
            except Exception:
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError(f"{delivery_id} never succeeded")

    with ThreadPoolExecutor(len(deliveries)) as pool:
        list(pool.map(work, *zip(*deliveries, strict=True)))
    assert sum(e.points for e in entries(app, "9102")) == 150 - 74
    assert [e.points for e in entries(app, "9103")] == [150]
    assert member(app).current_points == 1200 + 76 + 150
