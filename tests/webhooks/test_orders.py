"""orders/paid, refunds/create, orders/cancelled: points once, reversed in proportion, any order of arrival."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.jobs import webhook_topics
from shopify_app.loyalty.ledger import postings
from shopify_app.models import Customer, EarningEntry, EarningRule, EntrySource, Shop
from shopify_app.shopify.webhook_payloads import OrderPaid
from tests import factories
from tests.shopify_signing import SHOP, post_webhook, run_jobs

GOLD = {"id": 1001, "email": "gold@example.com", "first_name": "Goldie", "last_name": "Member"}


def order(
    order_id: int, subtotal: str = "100.99", customer: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": order_id, "name": f"#{order_id}", "order_number": order_id, "subtotal_price": subtotal,
            "total_tax": "8.00", "taxes_included": False, "total_price": "120.00",
            "customer": customer if customer is not None else GOLD, **extra}


def refund(refund_id: int, order_id: int, subtotal: str) -> dict[str, Any]:
    return {"id": refund_id, "order_id": order_id,
            "refund_line_items": [{"id": refund_id * 10, "quantity": 1, "subtotal": subtotal, "total_tax": "1.00"}],
            "transactions": [{"kind": "refund", "status": "success", "amount": "999.00"}]}


def deliver(client: FlaskClient, app: Flask, redis: Redis, *events: tuple[str, dict[str, Any]], **options: Any) -> None:
    for topic, payload in events:
        assert post_webhook(client, topic, payload, **options).status_code == 200
    run_jobs(app, redis)


def member(app: Flask, shopify_id: str = "1001", shop: str = SHOP) -> Customer:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Customer).join(Shop, Shop.id == Customer.shop_id).where(
            Shop.domain == shop, Customer.shopify_customer_id == shopify_id)).one()


def entries(app: Flask, order_id: str) -> list[EarningEntry]:
    with sessionmaker_for(app)() as session:
        return list(session.scalars(select(EarningEntry).where(EarningEntry.order_id == order_id)
                                    .order_by(EarningEntry.created_at, EarningEntry.id)))


def failing_order(monkeypatch: pytest.MonkeyPatch, order_id: str) -> Callable[[], None]:
    """orders/paid made to fail (``KeyError: 'id'``) for any batch that holds the order ``order_id``, the
    others applied as before; what it returns undoes it."""
    apply_paid = webhook_topics.INSTALLED_SHOP_BATCH_TOPICS["orders/paid"]

    def failing(session: Session, shop: Shop, paid: list[OrderPaid]) -> None:
        if any(data.id == order_id for data in paid):
            raise KeyError("id")
        apply_paid(session, shop, paid)

    monkeypatch.setitem(webhook_topics.INSTALLED_SHOP_BATCH_TOPICS, "orders/paid", failing)
    return lambda: monkeypatch.setitem(webhook_topics.INSTALLED_SHOP_BATCH_TOPICS, "orders/paid", apply_paid)


def set_rule(app: Flask, shop_id: str, action: str, **fields: Any) -> None:
    with sessionmaker_for(app).begin() as session:
        rule = session.scalars(select(EarningRule).where(EarningRule.shop_id == shop_id,
                                                         EarningRule.action == action)).one()
        for name, value in fields.items():
            setattr(rule, name, value)


def test_paid_order_gives_points_per_whole_unit_times_the_vip_multiplier(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("orders/paid", order(7001)))
    [entry] = entries(app, "7001")
    # 100.99 -> 100 whole units x 1 point x Gold's 1.5
    assert (entry.base_points, entry.points, entry.status, entry.order_number) == (100, 150, "approved", "#7001")
    assert entry.dedupe_key == f"order:7001:rule:{demo_shop['rules']['place_order']}"
    assert member(app).current_points == 1200 + 150


def test_one_event_under_several_delivery_ids_gives_points_once(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, *[("orders/paid", order(7002))] * 3)
    deliver(client, app, redis, ("orders/paid", order(7002)))
    assert [e.points for e in entries(app, "7002")] == [150]
    assert member(app).current_points == 1350


def test_new_customer_is_enrolled_by_a_paid_order(client: FlaskClient, app: Flask, redis: Redis,
                                                  demo_shop: dict[str, Any]) -> None:
    buyer = {"id": 9009, "email": "New.Buyer@Example.com", "first_name": "New", "last_name": "Buyer"}
    deliver(client, app, redis, ("orders/paid", order(7003, "42.50", buyer)))
    created = member(app, "9009")
    assert (created.email_normalized, created.current_points, created.lifetime_points) == \
        ("new.buyer@example.com", 42, 42)
    assert created.vip_tier_id == demo_shop["tiers"]["Bronze"]


def test_pending_points_wait_and_a_refund_rejects_them(client: FlaskClient, app: Flask, redis: Redis,
                                                       demo_shop: dict[str, Any]) -> None:
    set_rule(app, demo_shop["shop_id"], "place_order", approval_time=14)
    deliver(client, app, redis, ("orders/paid", order(7004)))
    [entry] = entries(app, "7004")
    assert (entry.status, entry.points, entry.points_due_at is not None) == ("pending", 150, True)
    assert member(app).current_points == 1200
    deliver(client, app, redis, ("refunds/create", refund(1, 7004, "10.00")))
    [entry] = entries(app, "7004")
    assert entry.status == "rejected" and member(app).current_points == 1200


EVENTS = [("orders/paid", order(7005)), ("refunds/create", refund(51, 7005, "30.00")),
          ("refunds/create", refund(52, 7005, "20.00")), ("orders/paid", order(7005))]


@pytest.mark.parametrize("arrival", list(itertools.permutations(range(4)))[::3])
def test_refunds_in_any_order_reverse_in_proportion(client: FlaskClient, app: Flask, redis: Redis,
                                                    demo_shop: dict[str, Any], arrival: tuple[int, ...]) -> None:
    for index in arrival:  # one job run per delivery, so each arrival order is really exercised
        deliver(client, app, redis, EVENTS[index])
    # 150 earned on a 100.99 basis; 50.00 refunded -> 74.26 points back -> 74
    assert sum(e.points for e in entries(app, "7005")) == 150 - 74
    customer = member(app)
    assert (customer.current_points, customer.lifetime_points) == (1200 + 76, 1200 + 76)


def test_reversal_is_computed_from_what_the_order_earned_not_todays_rule(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("orders/paid", order(7006, "200.00")))
    set_rule(app, demo_shop["shop_id"], "place_order", points_to_give=10)
    deliver(client, app, redis, ("refunds/create", refund(61, 7006, "100.00")))
    assert [e.points for e in entries(app, "7006")] == [300, -150]


def test_full_refund_floors_the_balance_and_recomputes_the_tier(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("orders/paid", order(7007, "400.00")))  # 600 points: lifetime 1800
    with sessionmaker_for(app).begin() as session:  # the member spends most of the balance
        customer = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
        postings.spend(session, customer, 1700, source=EntrySource.MANUAL)
    deliver(client, app, redis, ("refunds/create", refund(71, 7007, "400.00")),
            ("refunds/create", refund(72, 7007, "50.00")))
    customer = member(app)
    assert (customer.current_points, customer.lifetime_points) == (0, 1200)
    # All 600 earned points reversed (base_points), of which the balance still held 100 (points).
    assert [(e.points, e.base_points) for e in entries(app, "7007")][1:] == [(-100, -600)]
    deliver(client, app, redis, ("refunds/create", refund(73, 7007, "400.00")))
    assert member(app).vip_tier_id == demo_shop["tiers"]["Gold"]

    full_refund = {**refund(81, 7008, "0"), "refund_line_items": []}
    full_refund["transactions"] = [{"kind": "refund", "status": "success", "amount": "9000.00"}]
    deliver(client, app, redis, ("orders/paid", order(7008, "400.00")), ("refunds/create", full_refund))
    deliver(client, app, redis, ("refunds/create", {**refund(82, 7009, "1"), "order_id": 7009}))
    assert member(app).lifetime_points == 1200
    with sessionmaker_for(app).begin() as session:  # lifetime back to 600: half the opening balance taken back
        customer = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
        postings.lock(session, customer)
        opening = session.scalars(select(EarningEntry).where(EarningEntry.customer_id == customer.id,
                                                             EarningEntry.source == "opening_balance")).one()
        postings.reverse(session, customer=customer, entry=opening, points=600, dedupe_key="test", reason="test")
    deliver(client, app, redis, ("orders/paid", order(7010, "10.00")), ("refunds/create", refund(91, 7010, "10.00")))
    assert member(app).vip_tier_id == demo_shop["tiers"]["Silver"]


def test_cancellation_rejects_pending_and_reverses_its_refunds_once(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("orders/paid", order(7011)))
    cancelled = {**order(7011), "cancelled_at": "2026-11-29T12:00:00Z", "refunds": [refund(111, 7011, "100.99")]}
    deliver(client, app, redis, ("orders/cancelled", cancelled), ("refunds/create", refund(111, 7011, "100.99")))
    assert [e.points for e in entries(app, "7011")] == [150, -150]
    assert member(app).current_points == 1200

    set_rule(app, demo_shop["shop_id"], "place_order", approval_time=3)
    deliver(client, app, redis,
            ("orders/cancelled", {**order(7012), "cancelled_at": "2026-11-29T12:00:00Z", "refunds": []}),
            ("orders/paid", order(7012)))
    assert [(e.points, e.status) for e in entries(app, "7012")] == [(150, "rejected")]


def test_excluded_members_guests_and_uninstalled_shops_earn_nothing(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    excluded = {"id": 1003, "email": "excluded@example.com"}
    deliver(client, app, redis, ("orders/paid", order(7013, customer=excluded)),
            ("orders/paid", {**order(7014), "customer": None}))
    assert entries(app, "7013") == [] and entries(app, "7014") == []
    with sessionmaker_for(app).begin() as session:
        session.get(Shop, demo_shop["shop_id"]).uninstalled_at = utcnow()  # type: ignore[union-attr]
    deliver(client, app, redis, ("orders/paid", order(7015)))
    assert entries(app, "7015") == []


def test_one_shops_deliveries_never_touch_another_shops_members(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        other = factories.shop(session, "other-shop.myshopify.com")
        factories.rule(session, other, "place_order", category="purchase", points=5)
        factories.customer(session, other, "1001", "gold@example.com")
    deliver(client, app, redis, ("orders/paid", order(7016)), shop="other-shop.myshopify.com")
    assert member(app).current_points == 1200  # the demo shop's customer 1001 is untouched
    assert member(app, shop="other-shop.myshopify.com").current_points == 500
    deliver(client, app, redis, ("refunds/create", refund(161, 7016, "100.99")))  # signed for the demo shop
    assert member(app, shop="other-shop.myshopify.com").current_points == 500
