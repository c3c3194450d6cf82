"""The overview's figures from the ledger, the reward codes and the outbox, and their one-minute cache."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty.ledger.postings import POINTS_EXPIRED
from shopify_app.loyalty.rewards import redemption
from shopify_app.models import EarningEntry, OutboxMessage, Reward, RewardRedemption, Shop
from shopify_app.reporting import overview
from tests import factories
from tests.admin.conftest import TokenClient

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)


def _entry(session: Session, customer, rule, points: int, status: str, created: dt.datetime, action: str = "x",
           source: str = "rule_award", **fields) -> None:
    session.add(EarningEntry(
        shop_id=customer.shop_id, customer_id=customer.id, earning_rule_id=rule.id if rule else None,
        action=action, source=source, base_points=points, points_multiplier=Decimal(1), points=points, status=status,
        created_at=created, updated_at=created, **fields))


def test_points_are_counted_by_day_and_status(session: Session) -> None:
    shop = factories.shop(session, "stats.myshopify.com")
    other_shop = factories.shop(session, "noise.myshopify.com")
    customer = factories.customer(session, shop, "1")
    stranger = factories.customer(session, other_shop, "1")
    rule = factories.rule(session, shop, "join_newsletter", category="engagement", points=100)
    day = dt.timedelta(days=1)
    _entry(session, customer, rule, 100, "approved", NOW - 2 * day, points_given_at=NOW - 2 * day)
    _entry(session, customer, rule, 40, "approved", NOW - 40 * day, points_given_at=NOW - 40 * day)
    _entry(session, customer, None, -30, "approved", NOW - day, source="redemption", points_given_at=NOW - day)
    _entry(session, customer, None, -10, "approved", NOW - day, source="redemption", points_given_at=NOW - day)
    # A refunded reward's points are not redeemed: they are back in the balance.
    _entry(session, customer, None, 10, "approved", NOW - day, source="redemption_refund", points_given_at=NOW - day)
    # Neither a merchant's removal nor a refund's reversal is a redemption.
    _entry(session, customer, None, -20, "approved", NOW - day, source="manual", points_given_at=NOW - day)
    _entry(session, customer, None, -15, "approved", NOW - day, source="reversal", points_given_at=NOW - day)
    _entry(session, customer, rule, 70, "pending", NOW)
    _entry(session, customer, rule, 9, "rejected", NOW)
    _entry(session, customer, rule, 60, "approved", NOW - 200 * day, points_given_at=NOW - 200 * day,
           points_expiry_at=NOW - 3 * day)
    _entry(session, customer, None, -25, "approved", NOW - 3 * day, points_given_at=NOW - 3 * day,
           action=POINTS_EXPIRED, source="expiry")  # what expiry wrote for that lot's unspent points
    _entry(session, stranger, None, 1000, "approved", NOW, points_given_at=NOW)
    session.flush()
    figures = overview.overview(session, shop.id, 30, now=NOW)
    series = figures.points.series
    assert len(figures.points.days) == 30 and figures.points.days[-1] == NOW.date()
    assert figures.points.totals == {"issued": 100, "redeemed": 30, "pending": 70, "expired": 25}
    assert series["issued"][-3] == 100 and series["redeemed"][-2] == 30 and series["expired"][-4] == 25
    assert figures.top_rules == [("Join Newsletter", 100, 1)]
    assert overview.overview(session, shop.id, 90, now=NOW).points.totals["issued"] == 140
    assert (figures.members, figures.excluded) == (1, 0)


def test_sync_health_shows_last_success_failures_and_waiting(session: Session) -> None:
    shop = factories.shop(session, "sync.myshopify.com")
    for topic, status, minutes in [("klaviyo", "done", 5), ("klaviyo", "done", 1), ("klaviyo", "failed", 0),
                                   ("omnisend", "pending", 0), ("omnisend", "enqueued", 0)]:
        session.add(OutboxMessage(shop_id=shop.id, topic=topic, status=status, payload={},
                                  processed_at=NOW - dt.timedelta(minutes=minutes) if status == "done" else None))
    session.flush()
    health = {item.topic: item for item in overview.sync_health(session, shop.id)}
    assert (health["klaviyo"].last_success_at, health["klaviyo"].failed) == (NOW - dt.timedelta(minutes=1), 1)
    assert (health["omnisend"].waiting, health["omnisend"].last_success_at) == (2, None)
    assert health["postscript"].last_success_at is None and "shopify.customer_metafield" in health


def test_the_history_is_cached_for_a_minute_and_redis_trouble_is_harmless(session: Session, redis: Redis) -> None:
    shop = factories.shop(session, "cache.myshopify.com")
    customer = factories.customer(session, shop, "1")
    _entry(session, customer, None, 10, "approved", NOW, points_given_at=NOW)
    session.flush()
    assert overview.overview(session, shop.id, 30, cache=redis, now=NOW).points.totals["issued"] == 10
    _entry(session, customer, None, 5, "approved", NOW, points_given_at=NOW)
    session.flush()
    assert overview.overview(session, shop.id, 30, cache=redis, now=NOW).points.totals["issued"] == 10
    assert 0 < redis.ttl(f"admin:overview:{shop.id}:30:{NOW.date().isoformat()}") <= 60
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert overview.overview(session, shop.id, 30, cache=down, now=NOW).points.totals["issued"] == 15


def _code(session: Session, reward: Reward, customer, state: str, created: dt.datetime) -> None:
    spend = EarningEntry(shop_id=customer.shop_id, customer_id=customer.id, action="reward", source="redemption",
                         base_points=-reward.points_cost, points_multiplier=Decimal(1), points=-reward.points_cost,
                         status="approved", created_at=created, updated_at=created, points_given_at=created)
    session.add(spend)
    session.flush()
    session.add(RewardRedemption(shop_id=customer.shop_id, customer_id=customer.id, reward_id=reward.id,
                                 entry_id=spend.id, state=state, points_spent=reward.points_cost,
                                 discount_amount=Decimal(5), discount_code=f"LOYAL-{spend.id}",
                                 created_at=created, updated_at=created))


def test_top_rewards_count_the_codes_whose_points_stay_spent(session: Session) -> None:
    shop = factories.shop(session, "top-rewards.myshopify.com")
    other_shop = factories.shop(session, "top-noise.myshopify.com")
    customer, stranger = factories.customer(session, shop, "1"), factories.customer(session, other_shop, "1")
    five_off, shipping, theirs = (Reward(shop_id=s.id, name=name, discount_type=kind, points_cost=cost)
                                  for s, name, kind, cost in [(shop, "$5 off", "fixed_amount", 500),
                                                              (shop, "Free shipping", "free_shipping", 300),
                                                              (other_shop, "Theirs", "free_shipping", 100)])
    session.add_all([five_off, shipping, theirs])
    session.flush()
    day = dt.timedelta(days=1)
    for reward, who, state, when in [
        (five_off, customer, "active", NOW), (five_off, customer, "used", NOW - 2 * day),
        (five_off, customer, "refunded", NOW), (five_off, customer, "creating", NOW),  # given back; not made yet
        (shipping, customer, "expired", NOW - day), (shipping, customer, "used", NOW - 40 * day),
        (shipping, customer, "used", NOW - 40 * day), (shipping, customer, "used", NOW - 40 * day),
        (theirs, stranger, "used", NOW), (theirs, stranger, "used", NOW), (theirs, stranger, "used", NOW),
    ]:
        _code(session, reward, who, state, when)
    session.flush()
    assert overview.overview(session, shop.id, 30, now=NOW).top_rewards == [("$5 off", 2, 1000),
                                                                            ("Free shipping", 1, 300)]
    assert overview.overview(session, shop.id, 90, now=NOW).top_rewards == [("Free shipping", 4, 1200),
                                                                            ("$5 off", 2, 1000)]


def test_a_cold_overview_reads_both_top_lists_in_one_statement(session: Session, redis: Redis) -> None:
    shop = factories.shop(session, "round-trips.myshopify.com")
    customer = factories.customer(session, shop, "1")
    newsletter = factories.rule(session, shop, "join_newsletter", category="engagement", points=100)
    five_off = Reward(shop_id=shop.id, name="$5 off", discount_type="fixed_amount", points_cost=500)
    session.add(five_off)
    session.flush()
    _entry(session, customer, newsletter, 100, "approved", NOW, points_given_at=NOW)
    _code(session, five_off, customer, "used", NOW)
    session.flush()
    sent: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        cold = overview.overview(session, shop.id, 30, cache=redis, now=NOW)
        cold_statements, sent[:] = list(sent), []
        warm = overview.overview(session, shop.id, 30, cache=redis, now=NOW)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)
    assert (cold.top_rules, cold.top_rewards) == ([("Join Newsletter", 100, 1)], [("$5 off", 1, 500)])
    assert (warm.top_rules, warm.top_rewards) == (cold.top_rules, cold.top_rewards)
    # Members, two sums by day, the top lists, two for sync health; cached, the history's three go.
    assert len(cold_statements) == 6 and len(sent) == 3
    assert [("earning_rules" in s, "reward_redemptions" in s) for s in cold_statements].count((True, True)) == 1


def test_the_overview_shows_the_top_rewards_card(app: Flask, admin: TokenClient, demo_shop: dict[str, Any]) -> None:
    assert "No rewards redeemed yet" in admin.get("/admin/").get_data(as_text=True)
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, demo_shop["shop_id"])
        for _ in range(2):
            made = redemption.purchase(session, shop, demo_shop["rewards"]["$5 off"], "1001")
            redemption.activate(session, made, f"gid://shopify/DiscountCodeNode/{made.id}")
    page = admin.get("/admin/", query_string={"days": "90"}).get_data(as_text=True)
    card = page.split('id="top-rewards"')[1].split("</s-section>")[0]
    assert "$5 off" in card and ">2<" in card and ">1,000<" in card and "Points spent" in card
