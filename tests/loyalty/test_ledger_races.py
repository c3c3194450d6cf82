"""A refund racing an approval, adjustments racing expiry: real threads on one database, then the ledger audit.

Each race is a barrier of threads with a transaction each, repeated until the bad interleavings
have had their chance (the refund race lost 4 orders in 100 before its fix): a few seconds a test.
SQLite runs fewer rounds: it lets one writer in at a time, so a round takes longer and has fewer
interleavings to try."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.errors import Conflict
from shopify_app.loyalty.earning import orders
from shopify_app.loyalty.earning.commands import OrderPaid, OrderRefunded, Refund, RefundedLine
from shopify_app.loyalty.ledger import adjustments, audit, maturing, postings
from shopify_app.loyalty.members.enrolment import ShopifyCustomer
from shopify_app.models import Customer, EarningEntry, EntrySource, EntryStatus, Shop
from tests import factories

ROUND = 10  # orders raced at once: half against the merchant's approval, half against the scheduler's
SUBTOTAL, REFUNDED = Decimal("100.00"), Decimal("40.00")  # 100 points; a refund of 40% takes 40 back


def order(number: int) -> OrderPaid:
    return OrderPaid(id=str(80_000 + number), name=f"#{number}", subtotal_price=SUBTOTAL, total_tax=Decimal(0),
                     customer=ShopifyCustomer(id=str(60_000 + number), email=f"racer{number}@example.com"))


def refund(number: int) -> OrderRefunded:
    return OrderRefunded(order_id=str(80_000 + number),
                         refund=Refund(id=str(90_000 + number), lines=(RefundedLine(REFUNDED),)))


def race(*steps: Callable[[], None]) -> None:
    """Run the steps at once, each on its own thread released by one barrier; re-raise any failure."""
    start = threading.Barrier(len(steps))

    def run(step: Callable[[], None]) -> None:
        start.wait()
        step()

    with ThreadPoolExecutor(len(steps)) as pool:
        for future in [pool.submit(run, step) for step in steps]:
            future.result()


def ledgers(session: Session, shop_id: str) -> dict[str, tuple[list[str], list[int], int, int]]:
    """Per customer: statuses of the earned entries, every entry's points, balance and lifetime."""
    found = {}
    for customer in session.scalars(select(Customer).where(Customer.shop_id == shop_id)):
        entries = session.scalars(select(EarningEntry).where(EarningEntry.customer_id == customer.id)).all()
        found[customer.id] = (sorted(e.status for e in entries if e.points > 0), sorted(e.points for e in entries),
                              customer.current_points, customer.lifetime_points)
    return found


@pytest.fixture
def shop_id(session: Session) -> str:
    """A shop of its own: the demo shop's seeded balances have no entries behind them."""
    shop = factories.shop(session, "races.myshopify.com", expiry_days=30)
    factories.rule(session, shop, "place_order", category="purchase", points=1, approval_time=14)
    session.commit()
    return shop.id


def test_a_refund_racing_an_approval_never_keeps_refunded_points(app: Flask, shop_id: str, is_postgres: bool) -> None:
    maker = sessionmaker_for(app)
    raced = 100 if is_postgres else 2 * ROUND
    with maker.begin() as session:
        shop = session.get_one(Shop, shop_id)
        for number in range(raced):
            orders.order_paid(session, shop, order(number))
        pending = {entry.order_id: entry.id for entry in session.scalars(select(EarningEntry))}
    assert len(pending) == raced

    def refund_step(number: int) -> Callable[[], None]:
        def step() -> None:
            with maker.begin() as session:
                orders.refund_created(session, session.get_one(Shop, shop_id), refund(number))
        return step

    def merchant_step(number: int) -> Callable[[], None]:
        def step() -> None:
            with maker.begin() as session:
                entry = session.get_one(EarningEntry, pending[str(80_000 + number)])
                try:
                    adjustments.decide_pending(session, session.get_one(Shop, shop_id), entry.customer, entry.id,
                                               approve=True)
                except Conflict:
                    pass  # the refund rejected it first
        return step

    def scheduler_step() -> None:
        with maker.begin() as session:
            maturing.approve_due(session)

    for first in range(0, raced, ROUND):
        numbers = range(first, first + ROUND)
        merchant, scheduled = numbers[:ROUND // 2], numbers[ROUND // 2:]
        with maker.begin() as session:  # only this round's scheduled half is due
            session.execute(update(EarningEntry).where(EarningEntry.order_id.in_(
                [str(80_000 + n) for n in scheduled])).values(points_due_at=utcnow() - dt.timedelta(seconds=1)))
        race(*(refund_step(n) for n in numbers), *(merchant_step(n) for n in merchant),
             *(scheduler_step for _ in scheduled))

    with maker() as session:
        assert audit.disagreements(session, shop_id) == []
        outcomes = ledgers(session, shop_id)
    # The refund first: rejected, nothing credited. The approval first: credited, then 40% reversed
    # as for any refund of approved points. Never rejected and credited.
    assert len(outcomes) == raced
    assert {repr(outcome) for outcome in outcomes.values()} <= {
        repr((["rejected"], [100], 0, 0)), repr((["approved"], [-40, 100], 60, 60))}


def test_a_decision_that_comes_second_leaves_the_first_one_standing(app: Flask, shop_id: str) -> None:
    """Even with no lock taken, the conditional UPDATE lets one decision win and shows the loser what it was."""
    maker = sessionmaker_for(app)
    with maker.begin() as session:
        orders.order_paid(session, session.get_one(Shop, shop_id), order(1))
    with maker() as loser, maker() as winner:
        stale = loser.scalars(select(EarningEntry)).one()
        entry = winner.get_one(EarningEntry, stale.id)
        assert postings.approve(winner, winner.get_one(Shop, shop_id), entry, entry.customer)
        winner.commit()
        assert stale.status == EntryStatus.PENDING.value
        assert not postings.reject(loser, stale)
        assert (stale.status, stale.points_remaining) == (EntryStatus.APPROVED.value, 100)
        loser.commit()
    with maker() as session:
        assert audit.disagreements(session, shop_id) == []
        assert list(ledgers(session, shop_id).values()) == [(["approved"], [100], 100, 100)]


def test_adjustments_and_expiry_at_once_never_deadlock(app: Flask, shop_id: str, is_postgres: bool) -> None:
    maker = sessionmaker_for(app)
    rounds = 20 if is_postgres else 4
    with maker.begin() as session:
        customer_ids = [factories.customer(session, session.get_one(Shop, shop_id), str(n)).id for n in range(5)]
    long_ago = utcnow() - dt.timedelta(days=40)  # lots given then expired ten days ago

    def adjust(customer_id: str, points: int, now: dt.datetime | None = None) -> Callable[[], None]:
        def step() -> None:
            with maker.begin() as session:
                adjustments.adjust_points(session, session.get_one(Shop, shop_id),
                                          session.get_one(Customer, customer_id), points, "race", now=now)
        return step

    def expire() -> None:
        with maker.begin() as session:
            maturing.expire_points(session)

    for _ in range(rounds):
        race(*(adjust(c, 100, long_ago) for c in customer_ids), *(adjust(c, 50) for c in customer_ids))
        race(*(adjust(c, -70) for c in customer_ids), *(adjust(c, 30) for c in customer_ids), expire, expire)
    expire()

    with maker() as session:
        assert audit.disagreements(session, shop_id) == []
        for _statuses, _points, balance, lifetime in ledgers(session, shop_id).values():
            assert lifetime == rounds * (100 + 50 + 30) and 0 <= balance < lifetime
        assert set(session.scalars(select(EarningEntry.action).where(EarningEntry.points < 0))) == {
            postings.MANUAL_ADJUSTMENT, postings.POINTS_EXPIRED}  # removals and expiry both took points
        assert session.scalar(select(EarningEntry.id).where(
            EarningEntry.points_remaining > 0, EarningEntry.points_expiry_at <= utcnow()).limit(1)) is None


def test_concurrent_spends_of_one_member_never_overdraw(app: Flask, shop_id: str, is_postgres: bool) -> None:
    """Ten redemptions of 30 at once, with five additions of 10 committing among them, against 100
    points: at most five succeed (150 points in all), the rest are refused, the lots add up."""
    maker = sessionmaker_for(app)
    rounds = 5 if is_postgres else 1
    with maker.begin() as session:
        customer_id = factories.customer(session, session.get_one(Shop, shop_id), "1", current_points=100).id
    refused: list[str] = []

    def redeem() -> None:
        with maker.begin() as session:
            try:
                postings.spend(session, session.get_one(Customer, customer_id), 30, source=EntrySource.REDEMPTION)
            except Conflict as error:
                refused.append(str(error))

    def add() -> None:
        with maker.begin() as session:
            adjustments.adjust_points(session, session.get_one(Shop, shop_id),
                                      session.get_one(Customer, customer_id), 10, "race")

    for _ in range(rounds):
        race(*(redeem for _ in range(10)), *(add for _ in range(5)))
    with maker() as session:
        assert audit.disagreements(session, shop_id) == []
        customer = session.get_one(Customer, customer_id)
        spent = customer.redeemed_points
        assert spent % 30 == 0 and spent + customer.current_points == 100 + rounds * 50
        assert customer.current_points >= 0 and spent // 30 + len(refused) == rounds * 10


def test_a_spend_waiting_behind_a_refund_spends_what_the_refund_gave_back(
        app: Flask, shop_id: str, is_postgres: bool) -> None:
    """A redemption of 90 leaves 20 points; while its refund holds the member (90 back into the
    lot, not yet committed) another spend of 90 waits, then spends from the refunded lot. Its
    statement saw 20 when it began: it must write from what it read under the lock, 110."""
    if not is_postgres:
        pytest.skip("SQLite lets one writer in at a time: the spend cannot start while the refund is open")
    maker = sessionmaker_for(app)
    with maker.begin() as session:
        shop = session.get_one(Shop, shop_id)
        customer = factories.customer(session, shop, "1")
        postings.grant(session, shop, customer, 110, source=EntrySource.MANUAL)
        redemption_id = postings.spend(session, customer, 90, source=EntrySource.REDEMPTION).id
        customer_id = customer.id
    refunding = maker()
    refunding_customer = refunding.get_one(Customer, customer_id)
    postings.refund_allocation(refunding, refunding_customer, refunding.get_one(EarningEntry, redemption_id))

    def spend_when_refunded() -> None:
        with maker.begin() as session:
            postings.spend(session, session.get_one(Customer, customer_id), 90, source=EntrySource.REDEMPTION)

    with ThreadPoolExecutor(1) as pool:
        spent = pool.submit(spend_when_refunded)
        with maker() as watching:  # until the spend waits for the member's lock
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            deadline = time.monotonic() + 10
            while not watching.scalar(waiting) and time.monotonic() < deadline:
                watching.rollback()
        refunding.commit()
        refunding.close()
        spent.result()
    with maker() as session:
        assert session.get_one(Customer, customer_id).current_points == 20
        assert audit.disagreements(session, shop_id) == []
