"""Points for past orders only on purpose: the first reconciliation looks back at nothing; a preview
reports exactly what giving the points then issues, through the same order handler."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.errors import BadRequest
from shopify_app.jobs.past_orders import past_orders
from shopify_app.jobs.scheduled import reconcile_shop
from shopify_app.loyalty.earning.past_orders import PastOrders
from shopify_app.models import Customer, EarningEntry, OutboxMessage
from tests.loyalty.test_reconciliation import FakeAdminApi, node
from tests.webhooks.test_orders import deliver, entries, order


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_first_reconciliation_gives_nothing_for_orders_before_the_install(
        app: Flask, demo_shop: dict[str, Any]) -> None:
    api = FakeAdminApi([])
    reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], api)
    since = dt.datetime.fromisoformat(api.calls[0][1]["query"].split("'")[1].replace("Z", "+00:00"))
    assert abs((utcnow() - since).total_seconds()) < 5


def test_the_preview_is_what_the_run_then_issues(client: FlaskClient, app: Flask, redis: Redis,
                                                 demo_shop: dict[str, Any], session: Session) -> None:
    deliver(client, app, redis, ("orders/paid", order(9104)))  # earned already: not counted again
    api = FakeAdminApi([node(9101), node(9102, "REFUNDED", refunds=[(92, "50.00")]), node(9103, customer_id=7777),
                        node(9104), node(9105, "PENDING")])
    sessions = sessionmaker_for(app)
    entries_before, members_before, outbox_before = count(session, EarningEntry), count(session, Customer), count(
        session, OutboxMessage)

    preview = past_orders(sessions, demo_shop["shop_id"], api, 30, preview=True)
    # Goldie x1.5: 150 for 9101, 150 - 74 for 9102; the new customer 7777: 100.
    assert preview == PastOrders(orders=5, members=2, points=150 + 76 + 100)
    session.expire_all()
    assert (count(session, EarningEntry), count(session, Customer), count(session, OutboxMessage)) == (
        entries_before, members_before, outbox_before)  # nothing written

    assert past_orders(sessions, demo_shop["shop_id"], api, 30, preview=False) == preview
    issued = sum(entry.points for order_id in ("9101", "9102", "9103") for entry in entries(app, order_id))
    assert issued == preview.points
    # Given once: a second run, or the reconciliation, issues nothing more.
    assert past_orders(sessions, demo_shop["shop_id"], api, 30, preview=False) == PastOrders(5, 0, 0)
    first = api.calls[0][1]["query"]
    since = dt.datetime.fromisoformat(first.split("'")[1].replace("Z", "+00:00"))
    assert dt.timedelta(days=30) <= utcnow() - since < dt.timedelta(days=30, minutes=1)


def test_zero_days_reads_nothing_and_a_bad_choice_is_refused(app: Flask, demo_shop: dict[str, Any]) -> None:
    api = FakeAdminApi([node(9201)])
    assert past_orders(sessionmaker_for(app), demo_shop["shop_id"], api, 0, preview=True) == PastOrders(0, 0, 0)
    assert api.calls == []
    with pytest.raises(BadRequest):
        past_orders(sessionmaker_for(app), demo_shop["shop_id"], api, 366, preview=True)
