"""The ledger audit: which customers' balances disagree with their entries, in one statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import engine_for
from shopify_app.loyalty.ledger import adjustments, audit, maturing
from shopify_app.models import Customer, EarningEntry
from tests import factories


def test_a_ledger_that_adds_up_passes_and_every_kind_of_drift_is_reported(app: Flask, session: Session) -> None:
    shop = factories.shop(session, "audited.myshopify.com", expiry_days=30)
    other = factories.shop(session, "elsewhere.myshopify.com")
    long_ago = utcnow() - dt.timedelta(days=40)
    customers = [factories.customer(session, shop, str(n)) for n in range(6)]
    for customer in customers:  # earned, spent, expired: every path that moves a balance
        adjustments.adjust_points(session, shop, customer, 100, "old", now=long_ago)
        adjustments.adjust_points(session, shop, customer, 80, "new")
        adjustments.adjust_points(session, shop, customer, -30, "spent")
    assert maturing.expire_points(session) == 6 * 70
    never_earned = factories.customer(session, shop, "idle")
    stranger = factories.customer(session, other, "1")
    session.flush()
    assert audit.disagreements(session) == []

    def drift(customer: Customer, **values: Any) -> None:
        session.execute(update(Customer).where(Customer.id == customer.id).values(**values))

    drift(stranger, current_points=5)  # no entries behind it
    assert audit.disagreements(session, shop.id) == []
    assert [d.customer_id for d in audit.disagreements(session)] == [stranger.id]

    def drift_lot(customer: Customer, **values: Any) -> None:
        session.execute(update(EarningEntry).where(EarningEntry.customer_id == customer.id,
                                                   EarningEntry.points_remaining > 0).values(**values))

    drift(customers[0], current_points=81)  # balance above both entries and lots
    drift_lot(customers[1], points_remaining=79)  # lots below the balance
    drift(customers[2], lifetime_points=179)  # lifetime off its entries
    drift_lot(customers[3], status="rejected")  # approved points that no entry grants
    drift(customers[4], redeemed_points=10)  # redeemed with no redemption behind it
    drift(never_earned, lifetime_points=3)
    negatives = (lambda: drift(never_earned, current_points=-1),
                 lambda: drift_lot(customers[5], points_remaining=-1))
    for negative in negatives:
        with pytest.raises(IntegrityError), session.begin_nested():  # nothing negative: the database refuses it
            negative()
    found = {d.customer_id: d for d in audit.disagreements(session, shop.id)}
    assert list(found) == sorted([*(c.id for c in customers[:5]), never_earned.id])
    assert (found[customers[0].id].current_points, found[customers[0].id].approved_points,
            found[customers[0].id].open_lot_points) == (81, 80, 80)
    assert found[customers[1].id].open_lot_points == 79
    assert (found[customers[2].id].lifetime_points, found[customers[2].id].earned_points) == (179, 180)
    assert found[customers[3].id].approved_points == 0
    assert (found[customers[4].id].redeemed_points, found[customers[4].id].redemption_points) == (10, 0)
    assert (found[never_earned.id].lifetime_points, found[never_earned.id].earned_points) == (3, 0)


def test_the_audit_is_one_statement_however_many_customers(app: Flask, session: Session) -> None:
    shop = factories.shop(session, "many.myshopify.com")
    for n in range(50):
        adjustments.adjust_points(session, shop, factories.customer(session, shop, str(n)), 10, "")
    session.flush()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine_for(app), "before_cursor_execute", count)
    try:
        assert audit.disagreements(session, shop.id) == [] and audit.disagreements(session) == []
    finally:
        event.remove(engine_for(app), "before_cursor_execute", count)
    assert len(statements) == 2
