"""Reconciliation through a fake GraphQL Admin API: missed webhooks made good, nothing doubled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.jobs.scheduled import reconcile_shop
from shopify_app.loyalty.earning.reconciliation import ORDERS_QUERY
from shopify_app.models import Shop, ShopSyncState
from tests.webhooks.test_orders import deliver, entries, member, order, refund


def node(order_id: int, status: str = "PAID", *, refunds: list[tuple[int, str]] = (), cancelled: bool = False,
         customer_id: int = 1001, updated: str = "2026-11-29T11:00:00Z") -> dict[str, Any]:
    money = lambda amount: {"shopMoney": {"amount": amount}}  # noqa: E731
    return {
        "legacyResourceId": str(order_id), "name": f"#{order_id}", "updatedAt": updated,
        "cancelledAt": "2026-11-29T11:00:00Z" if cancelled else None, "displayFinancialStatus": status,
        "taxesIncluded": False, "subtotalPriceSet": money("100.99"), "totalTaxSet": money("8.00"),
        "customer": {"id": f"gid://shopify/Customer/{customer_id}",
                     "defaultEmailAddress": {"emailAddress": "gold@example.com"},
                     "firstName": "Goldie", "lastName": "Member", "createdAt": "2020-01-01T00:00:00Z"},
        "refunds": [{"id": f"gid://shopify/Refund/{rid}",
                     "refundLineItems": {"nodes": [{"subtotalSet": money(amount)}]},
                     "transactions": {"nodes": [{"kind": "REFUND", "status": "SUCCESS", "amountSet": money("1")}]}}
                    for rid, amount in refunds],
    }


class FakeAdminApi:
    """Answers the orders query in pages, recording the variables it was sent."""

    def __init__(self, nodes: list[dict[str, Any]], page_size: int = 2) -> None:
        self.nodes, self.page_size, self.calls = nodes, page_size, []  # type: ignore[var-annotated]

    def __call__(self, shop: Shop, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert query == ORDERS_QUERY
        self.calls.append((shop.domain, dict(variables)))
        start = int(variables["after"] or 0)
        end = start + self.page_size
        return {"orders": {"nodes": self.nodes[start:end],
                           "pageInfo": {"hasNextPage": end < len(self.nodes), "endCursor": str(end)}}}


def test_missed_webhooks_are_made_good_and_known_ones_not_doubled(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any], session: Session) -> None:
    deliver(client, app, redis, ("orders/paid", order(9001)), ("refunds/create", refund(91, 9001, "50.00")))
    api = FakeAdminApi([node(9001, "PARTIALLY_REFUNDED", refunds=[(91, "50.00")]),
                        node(9002, refunds=[(92, "100.99")]),  # paid then fully refunded, no webhook came
                        node(9003, "PENDING"),  # not paid: nothing to give
                        node(9004, "PAID", cancelled=True)])
    assert reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], api) == 4
    assert reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], api) == 4
    assert [e.points for e in entries(app, "9001")] == [150, -74]
    assert [e.points for e in entries(app, "9002")] == [150, -150]
    assert entries(app, "9003") == [] and [e.points for e in entries(app, "9004")] == [150]
    assert member(app).current_points == 1200 + 76 + 150
    [(shop, first), (_, second)] = api.calls[:2]
    assert shop == "demo-loyalty.myshopify.com" and first["after"] is None
    assert first["query"].startswith("updated_at:>='") and second["after"] == "2"


def test_each_run_starts_from_the_last_with_an_overlap(app: Flask, demo_shop: dict[str, Any], session: Session) -> None:
    api = FakeAdminApi([])
    reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], api)
    through = session.get(ShopSyncState, demo_shop["shop_id"]).orders_reconciled_through  # type: ignore[union-attr]
    assert through is not None and abs((utcnow() - through).total_seconds()) < 5
    reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], api)
    since = dt.datetime.fromisoformat(api.calls[1][1]["query"].split("'")[1].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=14) < through - since <= dt.timedelta(minutes=15, seconds=1)


def test_uninstalled_shops_are_not_reconciled(app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        session.scalars(select(Shop)).one().uninstalled_at = utcnow()
    api = FakeAdminApi([node(9005)])
    assert reconcile_shop(sessionmaker_for(app), demo_shop["shop_id"], api) == 0 and api.calls == []
