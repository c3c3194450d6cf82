"""Newsletter points from customers_email_marketing_consent/update: subscribed earns, once per customer ever."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import EarningEntry
from tests.webhooks.test_orders import deliver, member

TOPIC = "customers_email_marketing_consent/update"


def consent(customer_id: int, state: str | None, email: str | None = "news@example.com") -> tuple[str, dict[str, Any]]:
    """The 2026-10 payload: the customer's id, email address and consent."""
    return TOPIC, {"customer_id": customer_id, "email_address": email,
                   "email_marketing_consent": {"state": state, "opt_in_level": "confirmed_opt_in",
                                               "consent_updated_at": "2026-11-29T12:00:00Z"}}


def newsletter_entries(app: Flask) -> list[tuple[str, int]]:
    with sessionmaker_for(app)() as session:
        return [(entry.customer.shopify_customer_id, entry.points) for entry in session.scalars(
            select(EarningEntry).where(EarningEntry.action == "join_newsletter"))]


def test_subscribing_earns_the_newsletter_points_once_ever(client: FlaskClient, app: Flask, redis: Redis,
                                                           demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, consent(1002, "pending"))
    assert newsletter_entries(app) == []  # a double opt-in is not confirmed yet
    deliver(client, app, redis, consent(1002, "subscribed"), consent(1002, "subscribed"))
    deliver(client, app, redis, consent(1002, "unsubscribed"), consent(1002, "subscribed"))
    assert newsletter_entries(app) == [("1002", 200)]
    assert member(app, "1002").current_points == 200


def test_other_states_earn_nothing(client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, *(consent(1002, state) for state in
                                  ("not_subscribed", "unsubscribed", "invalid", "redacted", None)))
    deliver(client, app, redis, (TOPIC, {"customer_id": 1002, "email_address": None, "email_marketing_consent": None}))
    assert newsletter_entries(app) == []
    assert member(app, "1002").current_points == 0


def test_a_subscriber_the_app_has_not_seen_yet_is_enrolled(client: FlaskClient, app: Flask, redis: Redis,
                                                           demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, consent(7007, "subscribed", email="First@Example.com"))
    new = member(app, "7007")
    assert (new.email, new.current_points) == ("First@Example.com", 200)


def test_an_excluded_customer_earns_nothing(client: FlaskClient, app: Flask, redis: Redis,
                                            demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, consent(1003, "subscribed"))
    assert newsletter_entries(app) == []
