"""The ledger's invariants under random sequences of every operation that moves points.

A hypothesis state machine drives awards (approved and pending), purchases, approvals,
rejections, refunds and cancellations, manual additions and removals, redemptions and their
refunds, and expiry as time passes, each in a transaction of its own; after every step the
audit must find nothing (balance = approved entries = open lots, lifetime and redeemed match
their entries, nothing negative). On PostgreSQL a second test runs the operations on threads
against one customer at once, then audits."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.errors import Conflict
from shopify_app.loyalty.earning import orders
from shopify_app.loyalty.earning.commands import OrderCancelled, OrderPaid, OrderRefunded, Refund, RefundedLine
from shopify_app.loyalty.ledger import adjustments, audit, maturing, postings
from shopify_app.loyalty.members.enrolment import ShopifyCustomer
from shopify_app.models import Customer, EarningEntry, EarningRule, EntrySource, EntryStatus, Shop
from tests import factories
from tests.loyalty.test_ledger_races import race

CUSTOMERS = ("1", "2")
EXPIRY_DAYS = 30


class Ledger:
    """One shop with an approved and a pending social rule, a purchase rule and points that expire;
    every operation is a transaction of its own at the machine's clock."""

    def __init__(self, maker: sessionmaker[Session]) -> None:
        self.maker = maker
        self.now = utcnow()
        self.numbers = itertools.count(1)
        with maker.begin() as session:
            shop = factories.shop(session, f"ledger-{uuid.uuid4().hex[:10]}.myshopify.com", expiry_days=EXPIRY_DAYS)
            self.shop_id = shop.id
            self.rules = {
                "now": factories.rule(session, shop, "follow_on_instagram", points=40).id,
                "later": factories.rule(session, shop, "follow_on_tiktok", points=25, approval_time=7).id,
                "purchase": factories.rule(session, shop, "place_order", category="purchase", points=1).id,
            }
            for shopify_id in CUSTOMERS:
                factories.customer(session, shop, shopify_id)
        self.orders: list[str] = []

    def _customer(self, session: Session, shopify_id: str) -> Customer:
        return session.scalars(select(Customer).where(Customer.shop_id == self.shop_id,
                                                      Customer.shopify_customer_id == shopify_id)).one()

    def _run(self, step: Callable[[Session, Shop], Any]) -> None:
        with self.maker() as session:
            try:
                step(session, session.get_one(Shop, self.shop_id))
            except Conflict:
                session.rollback()  # refused (short balance, decided already, excluded): nothing written
            else:
                session.commit()

    def award(self, shopify_id: str, pending: bool) -> None:
        def step(session: Session, shop: Shop) -> None:
            rule = session.get_one(EarningRule, self.rules["later" if pending else "now"])
            postings.earn(session, shop=shop, customer=self._customer(session, shopify_id), rule=rule,
                          base_points=rule.points_to_give, dedupe_key=f"award:{next(self.numbers)}", now=self.now)
        self._run(step)

    def purchase(self, shopify_id: str, amount: int) -> None:
        number = str(70_000 + next(self.numbers))
        self.orders.append(number)
        paid = OrderPaid(id=number, name=f"#{number}", subtotal_price=Decimal(amount), total_tax=Decimal(0),
                         customer=ShopifyCustomer(id=shopify_id, email=f"c{shopify_id}@example.com"))
        self._run(lambda session, shop: orders.order_paid(session, shop, paid, now=self.now))

    def refund(self, pick: int, amount: int) -> None:
        if not self.orders:
            return
        refunded = OrderRefunded(order_id=self.orders[pick % len(self.orders)],
                                 refund=Refund(id=str(next(self.numbers)), lines=(RefundedLine(Decimal(amount)),)))
        self._run(lambda session, shop: orders.refund_created(session, shop, refunded, now=self.now))

    def cancel(self, pick: int) -> None:
        if not self.orders:
            return
        cancelled = OrderCancelled(id=self.orders[pick % len(self.orders)], cancelled_at=self.now)
        self._run(lambda session, shop: orders.order_cancelled(session, shop, cancelled, now=self.now))

    def decide(self, shopify_id: str, approve: bool) -> None:
        def step(session: Session, shop: Shop) -> None:
            customer = self._customer(session, shopify_id)
            entry_id = session.scalar(select(EarningEntry.id).where(
                EarningEntry.customer_id == customer.id, EarningEntry.status == EntryStatus.PENDING.value).limit(1))
            if entry_id is not None:
                adjustments.decide_pending(session, shop, customer, entry_id, approve=approve, now=self.now)
        self._run(step)

    def adjust(self, shopify_id: str, delta: int) -> None:
        self._run(lambda session, shop: adjustments.adjust_points(
            session, shop, self._customer(session, shopify_id), delta, "by hand", now=self.now))

    def redeem(self, shopify_id: str, points: int) -> None:
        self._run(lambda session, shop: postings.spend(
            session, self._customer(session, shopify_id), points, source=EntrySource.REDEMPTION, now=self.now))

    def refund_redemption(self, shopify_id: str) -> None:
        def step(session: Session, shop: Shop) -> None:
            customer = self._customer(session, shopify_id)
            redemption = session.scalars(select(EarningEntry).where(
                EarningEntry.customer_id == customer.id, EarningEntry.source == EntrySource.REDEMPTION.value)
                .order_by(EarningEntry.created_at.desc()).limit(1)).first()
            if redemption is not None:
                postings.refund_allocation(session, customer, redemption, now=self.now)
        self._run(step)

    def pass_time(self, days: int) -> None:
        self.now += dt.timedelta(days=days)
        self._run(lambda session, shop: (maturing.approve_due(session, now=self.now),
                                         maturing.expire_points(session, now=self.now)))

    def disagreements(self) -> list[audit.Disagreement]:
        with self.maker() as session:
            return audit.disagreements(session, self.shop_id)


customers = st.sampled_from(CUSTOMERS)


def test_random_operations_keep_the_ledger_in_agreement(app: Flask, is_postgres: bool) -> None:
    maker = sessionmaker_for(app)

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.ledger = Ledger(maker)

        @rule(who=customers, pending=st.booleans())
        def award(self, who: str, pending: bool) -> None:
            self.ledger.award(who, pending)

        @rule(who=customers, amount=st.integers(1, 300))
        def purchase(self, who: str, amount: int) -> None:
            self.ledger.purchase(who, amount)

        @rule(pick=st.integers(0, 50), amount=st.integers(1, 300))
        def refund(self, pick: int, amount: int) -> None:
            self.ledger.refund(pick, amount)

        @rule(pick=st.integers(0, 50))
        def cancel(self, pick: int) -> None:
            self.ledger.cancel(pick)

        @rule(who=customers, approve=st.booleans())
        def decide(self, who: str, approve: bool) -> None:
            self.ledger.decide(who, approve)

        @rule(who=customers, delta=st.integers(-400, 400).filter(bool))
        def adjust(self, who: str, delta: int) -> None:
            self.ledger.adjust(who, delta)

        @rule(who=customers, points=st.integers(1, 300))
        def redeem(self, who: str, points: int) -> None:
            self.ledger.redeem(who, points)

        @rule(who=customers)
        def refund_redemption(self, who: str) -> None:
            self.ledger.refund_redemption(who)

        @rule(days=st.integers(1, 40))
        def pass_time(self, days: int) -> None:
            self.ledger.pass_time(days)

        @invariant()
        def ledger_agrees(self) -> None:
            assert self.ledger.disagreements() == []

    run_state_machine_as_test(Machine, settings=settings(
        max_examples=25 if is_postgres else 15, stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow]))


def test_operations_at_once_on_one_customer_keep_the_ledger_in_agreement(app: Flask, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite lets one writer in at a time: nothing runs at once")
    ledger = Ledger(sessionmaker_for(app))
    ledger.adjust("1", 500)
    ledger.purchase("1", 200)
    chooser = random.Random(11)
    operations: list[Callable[[], None]] = [
        lambda: ledger.award("1", False), lambda: ledger.award("1", True), lambda: ledger.purchase("1", 120),
        lambda: ledger.refund(chooser.randrange(50), 60), lambda: ledger.cancel(chooser.randrange(50)),
        lambda: ledger.decide("1", True), lambda: ledger.decide("1", False), lambda: ledger.adjust("1", 80),
        lambda: ledger.adjust("1", -150), lambda: ledger.redeem("1", 90), lambda: ledger.refund_redemption("1"),
        lambda: ledger.pass_time(0),
    ]
    for _ in range(15):
        race(*chooser.sample(operations, 8))
        assert ledger.disagreements() == []
    ledger.pass_time(EXPIRY_DAYS + 10)
    assert ledger.disagreements() == []
