"""A purchase's points change writes the same rows in one statement (PostgreSQL) and in turn (SQLite's) for
every case of the contract, refusals in their order; PostgreSQL sends three statements: the reward, the
customer, and the change (limit, balance, spend and redemption)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import BadRequest, DomainError, Forbidden, NotFound
from shopify_app.loyalty.ledger import postings
from shopify_app.loyalty.rewards import redemption
from shopify_app.loyalty.rewards.redemption import InsufficientPoints, RedemptionLimitReached
from shopify_app.models import (
    DiscountType,
    EntrySource,
    Pricing,
    Reward,
    RewardRedemption,
    RewardType,
    Shop,
)
from tests import factories
from tests.loyalty.test_change_paths import attempted

NOW = utcnow()
_fixed = dict(discount_type=DiscountType.FIXED_AMOUNT.value, discount_amount=Decimal("5.00"))
REWARDS: dict[str, dict[str, Any]] = {
    "$5 off": dict(_fixed, points_cost=100, expiry_days=30),
    "per point": dict(_fixed, points_cost=10, pricing=Pricing.PER_POINT.value, points_per_unit=10, min_points=10,
                      max_points=200),
    "once": dict(_fixed, points_cost=10, max_redemptions=1),
    "twice": dict(_fixed, points_cost=10, max_redemptions=2),
    "dear": dict(_fixed, points_cost=500),
    "gold only": dict(_fixed, points_cost=10, reward_type=RewardType.TIER.value),
    "inactive": dict(_fixed, points_cost=10, is_active=False),
}
# (customer identifier, reward, points chosen, the refusal expected)
CASES = [
    pytest.param("1", "$5 off", None, None, id="fixed, across three lots"),
    pytest.param("1", "per point", 60, None, id="per point"),
    pytest.param("1", "twice", None, None, id="limited, a refunded one not counted"),
    pytest.param("1", "per point", 65, BadRequest, id="400 points not a multiple"),
    pytest.param("1", "per point", None, BadRequest, id="400 points missing"),
    pytest.param("1", "rwd_missing", None, NotFound, id="404 unknown reward"),
    pytest.param("1", "inactive", None, NotFound, id="404 inactive reward"),
    pytest.param("999", "$5 off", None, NotFound, id="404 unknown customer"),
    pytest.param("3", "$5 off", None, Forbidden, id="403 excluded"),
    pytest.param("1", "gold only", None, Forbidden, id="403 another tier"),
    pytest.param("1", "once", None, RedemptionLimitReached, id="422 limit reached"),
    pytest.param("2", "once", None, RedemptionLimitReached, id="422 limit before balance"),
    pytest.param("1", "dear", None, InsufficientPoints, id="422 short of the balance"),
]


def _shop(session: Session) -> dict[str, str]:
    """A shop with a Gold tier and the rewards; customer 1 holds lots of 30, 50 and 40 points (oldest
    first) after redeeming ``once`` and a refunded ``twice``, customer 2 spent all on ``once``, 3 is excluded."""
    shop = factories.shop(session, "purchase.myshopify.com", expiry_days=30)
    gold = factories.tier(session, shop, "Gold", 1000, "1.5")
    rewards = {name: Reward(shop_id=shop.id, name=name, vip_tier_id=gold.id if name == "gold only" else None,
                            **fields) for name, fields in REWARDS.items()}
    session.add_all(rewards.values())
    members = [factories.customer(session, shop, str(n), is_excluded=n == 3) for n in (1, 2, 3)]
    for days, points in ((3, 30), (2, 50), (1, 40)):
        postings.grant(session, shop, members[0], points + 10 * (days == 3), source=EntrySource.MANUAL,
                       now=NOW - dt.timedelta(days=days))
    postings.grant(session, shop, members[1], 10, source=EntrySource.MANUAL, now=NOW - dt.timedelta(days=3))
    earlier = NOW - dt.timedelta(days=1)
    redemption.purchase(session, shop, rewards["once"].id, "1", now=earlier)
    redemption.purchase(session, shop, rewards["once"].id, "2", now=earlier)
    redemption.give_back(session, redemption.purchase(session, shop, rewards["twice"].id, "1", now=earlier),
                         now=earlier)
    session.commit()
    return {"shop": shop.id, **{name: reward.id for name, reward in rewards.items()}}


def _outcome(session: Session, ids: dict[str, str], identifier: str, reward: str,
             points: int | None) -> tuple[Any, ...]:
    error, rows = attempted(session, lambda: redemption.purchase(
        session, session.get_one(Shop, ids["shop"]), ids.get(reward, reward), identifier, points=points, now=NOW))
    table = RewardRedemption.__table__
    rows["redemptions"] = sorted(session.execute(select(
        *(c for c in table.c if c.key not in ("id", "entry_id", "refund_entry_id", "discount_code")))).all(), key=repr)
    session.rollback()
    return error, rows


@pytest.mark.parametrize(("identifier", "reward", "points", "refusal"), CASES)
def test_every_case_writes_the_same_rows_both_ways(session: Session, monkeypatch: pytest.MonkeyPatch,
                                                    is_postgres: bool, identifier: str, reward: str,
                                                    points: int | None, refusal: type[DomainError] | None) -> None:
    ids = _shop(session)
    before = _outcome(session, ids, "1", "", None)[1]  # an unknown reward: nothing written
    with monkeypatch.context() as patched:
        patched.setattr(postings, "post_change_together", postings.post_change_in_turn)
        in_turn = _outcome(session, ids, identifier, reward, points)
    if is_postgres:
        assert _outcome(session, ids, identifier, reward, points) == in_turn
    error, rows = in_turn
    assert (error and error[0]) == refusal, error
    if error is not None:
        assert rows == before  # nothing was written
        return
    (made,) = [row for row in rows["redemptions"] if row.created_at == NOW]
    (spend,) = [row for row in rows["entries"] if row.created_at == NOW]
    assert (made.state, made.points_spent, spend.points, spend.source) == (
        "creating", -spend.points, -(points or REWARDS[reward]["points_cost"]), EntrySource.REDEMPTION.value)
    assert made.expires_at == (NOW + dt.timedelta(days=30) if reward == "$5 off" else None)
    assert made.discount_amount == (Decimal("6.00") if reward == "per point" else Decimal("5.00"))


def test_a_purchase_spends_the_oldest_lots_first(session: Session) -> None:
    ids = _shop(session)
    _, rows = _outcome(session, ids, "1", "$5 off", None)
    remaining = [left for _, left in sorted(rows["lots"], key=lambda lot: lot[0] or NOW) if left]
    assert remaining == [20]  # 30, 50 and 20 of 40 taken


def test_postgresql_sends_the_reward_the_customer_and_one_change(session: Session, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite writes in turn")
    ids = _shop(session)
    shop = session.get_one(Shop, ids["shop"])
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    session.connection()
    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        for reward, refused in (("$5 off", None), ("once", RedemptionLimitReached), ("dear", InsufficientPoints)):
            try:
                redemption.purchase(session, shop, ids[reward], "1", now=NOW)
            except DomainError as error:
                assert isinstance(error, refused or ())
            assert len(statements) == 3, statements
            assert "FROM rewards" in statements[0] and "FROM customers" in statements[1]
            assert statements[2].startswith("WITH member") and "INSERT INTO reward_redemptions" in statements[2]
            statements.clear()
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)
