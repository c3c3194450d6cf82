"""An earning's two ways of writing, one statement (PostgreSQL) and in turn (SQLite's), write the same rows
for every case of the award's contract."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import DomainError
from shopify_app.loyalty.earning.awards import award_rule
from shopify_app.loyalty.ledger import postings
from shopify_app.models import ActivityLogEntry, Customer, EarningEntry, EntrySource, OutboxMessage, Shop
from tests import factories

NOW = utcnow()
# (rule: an action of the demo shop's, or an id no rule has; the customer identifier; claimed from the storefront)
CASES = [
    pytest.param("follow_on_instagram", "1001", False, id="approved, Gold's multiplier"),
    pytest.param("follow_on_instagram", "1002", False, id="approved, no tier"),
    pytest.param("follow_on_tiktok", "NEW@example.com", False, id="pending, by email"),
    pytest.param("follow_on_instagram", "gid://shopify/Customer/1001", True, id="claimed, by GID"),
    pytest.param("rule_missing", "1002", False, id="404 unknown rule"),
    pytest.param("share_on_facebook", "1002", False, id="404 inactive rule"),
    pytest.param("follow_on_instagram", "999", False, id="404 unknown customer"),
    pytest.param("follow_on_instagram", "not-an-id", False, id="404 not an identifier"),
    pytest.param("place_order", "1003", False, id="403 excluded before the category"),
    pytest.param("place_order", "1002", False, id="422 platform rule"),
    pytest.param("join_newsletter", "1002", True, id="422 claimed a verified action"),
]


def outcome(session: Session, shop_id: str, rule_id: str, identifier: str, claimed: bool) -> tuple[Any, ...]:
    """What an award answers and writes, then rolled back: the error, and every row it left."""
    shop = session.get_one(Shop, shop_id)
    try:
        award_rule(session, shop, rule_id, identifier, now=NOW, claimed=claimed)
        error = None
    except DomainError as refused:
        error = (type(refused), str(refused))
    rows = written(session)
    session.rollback()
    return error, rows


def written(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """The ledger, activity, outbox and balances, without the ids each run draws anew."""
    entries = EarningEntry.__table__
    activity = ActivityLogEntry.__table__
    outbox = OutboxMessage.__table__
    customers = Customer.__table__
    return {
        "entries": sorted(session.execute(
            select(*(c for c in entries.c if c.key != "id"))
            .where(entries.c.source != EntrySource.OPENING_BALANCE.value)
        ).tuples(), key=repr),
        "activity": sorted(session.execute(
            select(*(c for c in activity.c if c.key not in ("id", "entry_id")))).tuples(), key=repr),
        "outbox": sorted(session.execute(select(*(c for c in outbox.c if c.key not in ("id", "entry_id")))).tuples(),
                         key=repr),
        "customers": sorted(session.execute(select(customers)).tuples(), key=repr),
    }


def both_ways(session: Session, monkeypatch: pytest.MonkeyPatch, *award: Any) -> tuple[Any, ...]:
    with monkeypatch.context() as patched:
        patched.setattr(postings, "post_together", postings.post_in_turn)
        in_turn = outcome(session, *award)
    together = outcome(session, *award)
    assert together == in_turn
    return together


@pytest.fixture(autouse=True)
def _postgresql_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no data-modifying CTE: it only writes in turn")


@pytest.mark.parametrize(("rule", "identifier", "claimed"), CASES)
def test_every_case_writes_the_same_rows_both_ways(session: Session, monkeypatch: pytest.MonkeyPatch,
                                                    demo_shop: dict[str, Any], rule: str, identifier: str,
                                                    claimed: bool) -> None:
    error, rows = both_ways(session, monkeypatch, demo_shop["shop_id"], demo_shop["rules"].get(rule, rule),
                            identifier, claimed)
    if error is None:
        assert len(rows["entries"]) == 1 and len(rows["activity"]) >= 1 and len(rows["outbox"]) == 4
    else:
        assert rows == written(session)  # nothing was written


def test_a_duplicate_writes_nothing_either_way(session: Session, monkeypatch: pytest.MonkeyPatch,
                                               demo_shop: dict[str, Any]) -> None:
    rule_id = demo_shop["rules"]["follow_on_tiktok"]
    award_rule(session, session.get_one(Shop, demo_shop["shop_id"]), rule_id, "1002", now=NOW)
    session.commit()
    error, rows = both_ways(session, monkeypatch, demo_shop["shop_id"], rule_id, "1002", False)
    assert error is not None and "already earned" in error[1]
    assert len(rows["entries"]) == 1


def test_a_tier_move_expiry_and_rounding_alike(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = factories.shop(session, "tiers.myshopify.com", expiry_days=30)
    factories.tier(session, shop, "Bronze", 0, "1.15")
    silver = factories.tier(session, shop, "Silver", 100, "2")
    bronze_member = factories.customer(session, shop, "5", current_points=60)
    rule = factories.rule(session, shop, points=50)
    session.commit()
    error, rows = both_ways(session, monkeypatch, shop.id, rule.id, "5", False)
    assert error is None
    customer = next(row for row in rows["customers"] if row[0] == bronze_member.id)
    assert customer.vip_tier_id == silver.id and customer.lifetime_points == 60 + 58  # 50 x 1.15 = 57.5, halves up
    (entry,) = rows["entries"]
    assert entry.points_expiry_at == NOW + dt.timedelta(days=30)
    assert {row.kind for row in rows["activity"]} == {"points_awarded", "vip_tier_changed"}
