"""Points given or taken outright (a manual adjustment, a redemption's spend) write the same rows in one
statement (PostgreSQL) and in turn (SQLite's) for every case of the contract, and PostgreSQL sends one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import DomainError
from shopify_app.loyalty.ledger import adjustments, postings
from shopify_app.models import Customer, EarningEntry, EntrySource, EntryStatus, LotAllocation, Shop
from tests import factories
from tests.loyalty.test_earning_paths import written

NOW = utcnow()
Change = Callable[[Session, Shop, Customer], Any]


def _adjust(delta: int, **options: Any) -> Change:
    return lambda session, shop, customer: adjustments.adjust_points(session, shop, customer, delta, "by hand",
                                                                     now=NOW, **options)


def _redeem(points: int) -> Change:
    return lambda session, shop, customer: postings.spend(session, customer, points, source=EntrySource.REDEMPTION,
                                                          note="$5 off", now=NOW)


CASES = [
    pytest.param("lots", _adjust(25), id="addition"),
    pytest.param("lots", _adjust(25, update_lifetime=False, announce=False), id="addition, lifetime stays"),
    pytest.param("lots", _adjust(80), id="addition reaching a tier"),
    pytest.param("excluded", _adjust(25), id="409 addition to an excluded customer"),
    pytest.param("lots", _adjust(-60), id="removal across lots, oldest first"),
    pytest.param("lots", _adjust(-500), id="removal up to the balance"),
    pytest.param("empty", _adjust(-5), id="removal from a zero balance"),
    pytest.param("lots", _redeem(100), id="redemption across three lots"),
    pytest.param("lots", _redeem(121), id="409 redemption short of the balance"),
]


def _members(session: Session) -> dict[str, str]:
    """A shop with a tier at 200 lifetime points and customers: ``lots`` holds lots of 30, 50 and 40
    points (oldest first), a pending entry and a spent lot; ``empty`` holds none; ``excluded`` is."""
    shop = factories.shop(session, "change.myshopify.com", expiry_days=30)
    factories.tier(session, shop, "Gold", 200, "1.5")
    members = {name: factories.customer(session, shop, str(n), **fields) for n, (name, fields) in enumerate(
        [("lots", {}), ("empty", {}), ("excluded", {"is_excluded": True})])}
    for days, points in ((3, 30), (2, 50), (1, 40), (4, 10)):
        postings.grant(session, shop, members["lots"], points, source=EntrySource.MANUAL,
                       now=NOW - dt.timedelta(days=days))
    postings.spend(session, members["lots"], 10, source=EntrySource.MANUAL, now=NOW - dt.timedelta(days=4))
    session.add(EarningEntry(shop_id=shop.id, customer_id=members["lots"].id, action="pending", source="rule_award",
                             base_points=70, points_multiplier=1, points=70, points_remaining=0,
                             status=EntryStatus.PENDING.value, points_due_at=NOW + dt.timedelta(days=9)))
    session.commit()
    return {"shop": shop.id, **{name: member.id for name, member in members.items()}}


def attempted(session: Session, change: Callable[[], Any]) -> tuple[Any, dict[str, list[Any]]]:
    """What a change refused (or None) and every row it left, lots drawn and allocations with them; the
    caller reads what else it needs, then rolls back."""
    try:
        change()
        error = None
    except DomainError as refused:
        error = (type(refused), str(refused))
    rows: dict[str, list[Any]] = {**written(session)}
    rows["allocations"] = sorted(session.execute(select(LotAllocation.points, EarningEntry.points_given_at)
                                                 .join(EarningEntry, EarningEntry.id == LotAllocation.lot_id)).all())
    rows["lots"] = sorted(session.execute(select(EarningEntry.points_given_at, EarningEntry.points_remaining)).all(),
                          key=repr)
    return error, rows


def _outcome(session: Session, ids: dict[str, str], member: str, run: Change) -> tuple[Any, ...]:
    error, rows = attempted(session, lambda: run(session, session.get_one(Shop, ids["shop"]),
                                                 session.get_one(Customer, ids[member])))
    session.rollback()
    return error, rows


@pytest.mark.parametrize(("member", "run"), CASES)
def test_every_case_writes_the_same_rows_both_ways(session: Session, monkeypatch: pytest.MonkeyPatch,
                                                    is_postgres: bool, member: str, run: Change) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no data-modifying CTE: it only writes in turn")
    ids = _members(session)
    before = _outcome(session, ids, member, lambda *_: None)[1]
    with monkeypatch.context() as patched:
        patched.setattr(postings, "post_change_together", postings.post_change_in_turn)
        in_turn = _outcome(session, ids, member, run)
    together = _outcome(session, ids, member, run)
    assert together == in_turn
    error, rows = together
    if error is not None:
        assert rows == before  # nothing was written
        return
    (entry,) = [row for row in rows["entries"] if row.created_at == NOW]
    messages = {row.message for row in rows["activity"]} - {row.message for row in before["activity"]}
    assert adjustments.adjustment_message(entry.points, "by hand") in messages or entry.source == "redemption"


def test_a_removal_across_lots_takes_the_oldest_first(session: Session) -> None:
    ids = _members(session)
    _, rows = _outcome(session, ids, "lots", _adjust(-60))
    remaining = [points for _, points in sorted(rows["lots"], key=lambda lot: lot[0] or NOW) if points]
    assert remaining == [20, 40]  # 30 then 30 of 50 taken; the spent lot and the pending entry untouched


def test_postgresql_sends_one_statement_per_change(session: Session, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite writes in turn")
    ids = _members(session)
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    shop, customer = session.get_one(Shop, ids["shop"]), session.get_one(Customer, ids["lots"])
    session.connection()
    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        for run in (_adjust(25), _adjust(-60), _redeem(30)):
            run(session, shop, customer)
            assert len(statements) == 1, statements
            statements.clear()
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)
    assert customer.current_points == 120 + 25 - 60 - 30
