"""Refused deliveries: a body signed once and resent under another topic, shop or time changes nothing,
is answered 200 (Shopify would only retry a forgery) and is kept, without its payload, for the operator."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.jobs.webhook_topics import TOPICS
from shopify_app.jobs.webhooks import webhooks_queue
from shopify_app.models import Customer, Shop, WebhookDelivery
from shopify_app.shopify.oauth import TokenGrant
from shopify_app.shopify.webhook_payloads import MODELS
from shopify_app.shops.installs import record_install
from shopify_app.shops.tokens import has_valid_token
from tests import factories
from tests.shopify_signing import SHOP, post_webhook, run_jobs, triggered_now, webhook_headers
from tests.webhooks.test_customers_privacy import uninstalled
from tests.webhooks.test_orders import GOLD, deliver, entries, member, order

VICTIM = "victim-shop.myshopify.com"
VICTIM_ID = "2"
# Bodies Shopify signed for this app, for the demo shop (Shopify id 1): any of them may leak.
SIGNED_BODIES = {
    "shop/redact": {"shop_id": 1, "shop_domain": SHOP},
    "customers/redact": {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 2001}, "orders_to_redact": []},
    "customers/create": {"id": 2001, "email": "victim.customer@example.com"},
    "orders/paid": order(9001),
}


@pytest.fixture
def victim(app: Flask) -> str:
    """Another shop we hold, installed, with a member whose data a forged erasure would take."""
    config = app.config["LOYALTY"]
    with sessionmaker_for(app).begin() as session:
        shop = record_install(session, VICTIM, TokenGrant("shpat_victim", config.shopify_scopes, None, None, None),
                              config)
        shop.shopify_shop_id = VICTIM_ID
        factories.customer(session, shop, "2001", "victim.customer@example.com", first_name="Vic")
        return shop.id


def replay(client: FlaskClient, body: dict[str, Any], topic: str, shop: str) -> int:
    """The same signed bytes, sent again under a new webhook id with another topic and shop."""
    raw = json.dumps(body).encode()
    return client.post("/webhooks", data=raw, headers=webhook_headers(raw, topic, shop=shop)).status_code


def refused(app: Flask) -> list[WebhookDelivery]:
    with sessionmaker_for(app)() as session:
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.refused_reason.is_not(None))))


def victim_state(app: Flask) -> tuple[Any, ...]:
    with sessionmaker_for(app)() as session:
        shop = session.scalars(select(Shop).where(Shop.domain == VICTIM)).one()
        customer = session.scalars(select(Customer).where(Customer.shop_id == shop.id)).one()
        return shop.uninstalled_at, has_valid_token(shop), customer.email, customer.first_name, customer.is_excluded


@pytest.mark.parametrize("original", list(SIGNED_BODIES))
@pytest.mark.parametrize("topic", ["shop/redact", "customers/redact"])
def test_a_replayed_body_with_another_shops_domain_cannot_redact_it(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any], victim: str, original: str,
        topic: str) -> None:
    # Even 72 hours after an uninstall, when a real shop/redact would be honoured, a body of another
    # shop erases nothing.
    uninstalled(app, VICTIM, ago=dt.timedelta(hours=72))
    before = victim_state(app)
    assert replay(client, SIGNED_BODIES[original], topic, VICTIM) == 200
    run_jobs(app, redis)
    assert victim_state(app) == before
    [row] = refused(app)
    assert (row.shop_domain, row.topic, row.payload, row.processed_at is not None) == (VICTIM, topic, None, True)


@pytest.mark.parametrize("original", list(SIGNED_BODIES))
def test_a_replayed_body_with_another_shops_domain_cannot_uninstall_it(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any], victim: str, original: str) -> None:
    before = victim_state(app)
    assert replay(client, SIGNED_BODIES[original], "app/uninstalled", VICTIM) == 200
    run_jobs(app, redis)
    assert victim_state(app) == before and before[:2] == (None, True)
    [row] = refused(app)
    assert row.topic == "app/uninstalled" and row.refused_reason


def test_a_payload_naming_the_right_domain_but_another_shop_id_is_refused(
        client: FlaskClient, app: Flask, redis: Redis, victim: str) -> None:
    uninstalled(app, VICTIM, ago=dt.timedelta(hours=72))
    before = victim_state(app)
    redact = {"shop_id": 999, "shop_domain": VICTIM, "customer": {"id": 2001}, "orders_to_redact": []}
    deliver(client, app, redis, ("customers/redact", redact), ("shop/redact", {"shop_id": 999, "shop_domain": VICTIM}),
            shop=VICTIM)
    assert victim_state(app) == before
    assert {row.refused_reason for row in refused(app)} == \
        {f"the payload names Shopify shop 999; {VICTIM} is {VICTIM_ID}"}


def test_app_uninstalled_for_another_shop_id_is_refused(client: FlaskClient, app: Flask, redis: Redis,
                                                        victim: str) -> None:
    before = victim_state(app)
    deliver(client, app, redis, ("app/uninstalled", {"id": 999, "myshopify_domain": VICTIM}), shop=VICTIM)
    assert victim_state(app) == before
    deliver(client, app, redis, ("app/uninstalled", {"id": int(VICTIM_ID), "myshopify_domain": VICTIM}), shop=VICTIM)
    assert victim_state(app)[:2] != before[:2]  # its own id: uninstalled, tokens gone
    assert [row.refused_reason for row in refused(app)] == [
        f"the payload names Shopify shop 999; {VICTIM} is {VICTIM_ID}"]


@pytest.mark.parametrize("ago, honoured", [(None, False), (dt.timedelta(hours=47, minutes=59), False),
                                           (dt.timedelta(hours=48, minutes=1), True)])
def test_shop_redact_before_48_hours_after_uninstall_is_refused(
        client: FlaskClient, app: Flask, redis: Redis, victim: str, ago: dt.timedelta | None, honoured: bool,
        caplog: pytest.LogCaptureFixture) -> None:
    if ago is not None:
        uninstalled(app, VICTIM, ago=ago)
    with caplog.at_level(logging.WARNING, logger="shopify_app.jobs.webhook_deliveries"):
        deliver(client, app, redis, ("shop/redact", {"shop_id": int(VICTIM_ID), "shop_domain": VICTIM}), shop=VICTIM)
    with sessionmaker_for(app)() as session:
        assert (session.scalars(select(Shop).where(Shop.domain == VICTIM)).first() is None) == honoured
    if not honoured:
        [row] = refused(app)
        assert row.refused_reason.startswith("shop/redact ") and row.payload is None
        assert f"refused: {row.refused_reason}" in caplog.text


UNREADABLE = "X-Shopify-Triggered-At is missing or not an ISO 8601 time"


@pytest.mark.parametrize("header, reason", [
    (triggered_now(ago=dt.timedelta(hours=48, minutes=1)), "more than 48 hours ago"),
    ("yesterday", UNREADABLE), ("2026-13-01T00:00:00Z", UNREADABLE), (None, UNREADABLE),
])
def test_a_delivery_triggered_over_48_hours_ago_is_refused(client: FlaskClient, app: Flask, redis: Redis,
                                                          demo_shop: dict[str, Any], header: str | None,
                                                          reason: str) -> None:
    raw = json.dumps(order(9101)).encode()
    headers = webhook_headers(raw, "orders/paid")
    if header is None:
        del headers["X-Shopify-Triggered-At"]
    else:
        headers["X-Shopify-Triggered-At"] = header
    assert client.post("/webhooks", data=raw, headers=headers).status_code == 200
    assert webhooks_queue(redis).count == 0
    [row] = refused(app)
    assert row.webhook_id == headers["X-Shopify-Webhook-Id"] and row.refused_reason.endswith(reason)
    run_jobs(app, redis)
    assert entries(app, "9101") == []
    # Within the window (a delivery retried for hours, or a day late) it is applied.
    deliver(client, app, redis, ("orders/paid", order(9101)), triggered_at=triggered_now(ago=dt.timedelta(hours=47)))
    assert [e.points for e in entries(app, "9101")] == [150]


@pytest.mark.parametrize("topic, body", [
    ("customers/redact", {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 1001},
                          "orders_requested": [], "data_request": {"id": 5}}),  # a data request, not an erasure
    ("orders/cancelled", order(9201)),  # a paid order: no cancelled_at
    ("orders/paid", {**GOLD}),  # a customer: no subtotal_price
    ("refunds/create", order(9201)),  # an order: no order_id
    ("shop/redact", order(9201)),
    ("app/uninstalled", {"shop_id": 1, "shop_domain": SHOP}),  # a compliance body: the shop has no id field
    ("customers/create", {"shop_id": 1, "shop_domain": SHOP}),
    ("app/scopes_update", order(9201)),
])
def test_a_payload_of_another_topics_shape_is_refused(
    client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any], topic: str, body: dict[str, Any]
) -> None:
    if topic == "shop/redact":
        uninstalled(app, ago=dt.timedelta(hours=72))  # so nothing but the shape can stop it
    assert post_webhook(client, topic, body).status_code == 200
    assert webhooks_queue(redis).count == 0
    [row] = refused(app)
    assert row.refused_reason.startswith(f"not the shape of {topic}: ") and row.payload is None
    with sessionmaker_for(app)() as session:
        shop = session.scalars(select(Shop).where(Shop.domain == SHOP)).one()
        assert shop.scopes == "" and member(app).email == "gold@example.com"


def test_an_idr_order_of_2_2_billion_earns_its_points(client: FlaskClient, app: Flask, redis: Redis,
                                                     demo_shop: dict[str, Any], session: Session) -> None:
    session.get_one(Shop, demo_shop["shop_id"]).currency = "IDR"
    session.commit()
    deliver(client, app, redis, ("orders/paid", order(9301, "2200000000.00")))
    [entry] = entries(app, "9301")
    assert (entry.base_points, entry.points) == (2_200_000_000, 3_300_000_000)  # Gold: x1.5
    assert member(app).current_points == 1200 + 3_300_000_000


@pytest.mark.parametrize("field, value", [("subtotal_price", "1000000000000.00"), ("subtotal_price", 1e15),
                                          ("total_tax", "-1"), ("subtotal_price", "NaN")])
def test_an_absurd_amount_is_refused_with_a_recorded_reason(client: FlaskClient, app: Flask, redis: Redis,
                                                           demo_shop: dict[str, Any], field: str, value: Any) -> None:
    assert post_webhook(client, "orders/paid", order(9401, **{field: value})).status_code == 200
    run_jobs(app, redis)  # nothing left to fail on every retry
    [row] = refused(app)
    assert row.refused_reason.startswith(f"not the shape of orders/paid: {field}: ")
    assert entries(app, "9401") == []


def test_a_refund_whose_lines_add_up_past_the_amount_column_is_refused(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    lines = [{"id": i, "subtotal": "999999999999.00"} for i in range(3)]
    response = post_webhook(client, "refunds/create", {"id": 1, "order_id": 9501, "refund_line_items": lines})
    assert response.status_code == 200
    run_jobs(app, redis)
    [row] = refused(app)
    assert "add up to more than" in row.refused_reason


def test_every_handled_topic_has_its_payload_model() -> None:
    assert set(MODELS) == TOPICS


def test_a_shop_whose_id_is_not_read_yet_is_known_by_the_signed_domain(
        client: FlaskClient, app: Flask, redis: Redis, victim: str) -> None:
    with sessionmaker_for(app).begin() as session:
        session.get_one(Shop, victim).shopify_shop_id = None
    redact = {"shop_id": 5, "shop_domain": VICTIM, "customer": {"id": 2001}, "orders_to_redact": []}
    deliver(client, app, redis, ("customers/redact", redact), shop=VICTIM)
    assert victim_state(app)[2:] == (None, None, True)  # erased
    assert refused(app) == []
