"""Shopify: token refresh by two workers at once, all workers inside one cost bucket, the program metafield."""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.jobs import runtime
from shopify_app.jobs.delivery import deliver
from shopify_app.loyalty.ledger import effects
from shopify_app.models import OutboxMessage
from tests import factories
from tests.jobs.conftest import award, connect_shop, work


def test_two_workers_refreshing_the_token_at_once_keep_the_shop_working(
        sync_app: Flask, sync_client: FlaskClient, demo_shop: dict[str, Any], fakes: SimpleNamespace,
        session: Session) -> None:
    connect_shop(sync_app, demo_shop["shop_id"], expires_in=dt.timedelta(minutes=1))  # inside the refresh margin
    award(sync_client, demo_shop, "follow_on_instagram", customer="gold@example.com")
    award(sync_client, demo_shop, "follow_on_instagram", customer="new@example.com")
    metafield_rows = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.topic == "shopify.customer_metafield").order_by(OutboxMessage.id)))
    runtime.bind(sync_app)
    start = threading.Barrier(2)

    def one_worker(row: OutboxMessage) -> str:
        start.wait()
        return deliver(row.topic, row.shop_id, row.customer_id, row.id)

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(one_worker, metafield_rows)) == ["done", "done"]
    assert fakes.shopify.refreshes == 1
    assert [r.headers["X-Shopify-Access-Token"] for r in fakes.shopify.received("POST")
            if r.path.endswith("graphql.json")] == ["shpat_1", "shpat_1"]
    # The stored refresh token is the live one: the next refresh works too.
    assert fakes.shopify.live_refresh_token == "shprt_1"


def test_workers_share_the_shops_cost_bucket(app_config: Any, sync_app: Flask, sync_client: FlaskClient,
                                             shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.maximum = fakes.shopify.available = 30  # three writes, then 10 points/s
    fakes.shopify.restore_rate = 10
    with sessionmaker_for(sync_app).begin() as setup:
        shop_row = factories.shop(setup, shop["domain"])
        for n in range(6):
            factories.customer(setup, shop_row, f"90{n}")
    for n in range(6):
        award(sync_client, shop, "join_newsletter", customer=f"90{n}")
    work(sync_app)
    assert len(fakes.shopify.writes) == 6
    assert fakes.shopify.throttled == 0  # the limiter waited for the bucket instead of being refused
    assert set(session.scalars(select(OutboxMessage.status).where(
        OutboxMessage.topic == "shopify.customer_metafield"))) == {"done"}


def test_program_metafield_is_written_when_the_program_changes(sync_app: Flask, shop: dict[str, Any],
                                                               fakes: SimpleNamespace, session: Session) -> None:
    effects.program_changed(session, shop["shop_id"])
    session.commit()
    work(sync_app)
    sync_calls = [r for r in fakes.shopify.received("POST") if "ReconcileOrders" not in r.json.get("query", "")]
    [query, mutation] = sync_calls
    assert query.json["query"].startswith("query LoyaltyShopId")
    [metafield] = mutation.json["variables"]["metafields"]
    assert (metafield["ownerId"], metafield["key"], metafield["type"]) == (
        "gid://shopify/Shop/1", "loyalty_program", "json")
    program = json.loads(metafield["value"])
    assert sorted(r["action"] for r in program["earning_rules"]) == [  # the inactive Facebook rule left out
        "birthday", "follow_on_instagram", "follow_on_tiktok", "join_newsletter", "place_order"]
    instagram = next(r for r in program["earning_rules"] if r["action"] == "follow_on_instagram")
    assert instagram == {"id": shop["rules"]["follow_on_instagram"], "action": "follow_on_instagram",
                                           "category": "social", "label": "Follow us on Instagram", "points": 100}
    assert program["tiers"] == [{"name": "Bronze", "points_required": 0, "points_multiplier": 1.0},
                                {"name": "Silver", "points_required": 500, "points_multiplier": 1.25},
                                {"name": "Gold", "points_required": 1000, "points_multiplier": 1.5}]
