"""Postings: spending takes the oldest lots and records them, a refund puts points back into them,
reversals and expiry write entries with their source, and nothing goes below zero."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import Conflict
from shopify_app.loyalty.ledger import audit, postings
from shopify_app.models import Customer, EarningEntry, EntrySource, LotAllocation, Shop
from tests import factories


def _allocations(session: Session, entry: EarningEntry) -> list[tuple[str, int]]:
    return list(session.execute(select(LotAllocation.lot_id, LotAllocation.points)
                                .where(LotAllocation.entry_id == entry.id).order_by(LotAllocation.points))
                .tuples())


def _lots(session: Session, shop: Shop, customer: Customer, *points: int) -> list[EarningEntry]:
    now = utcnow()
    return [postings.grant(session, shop, customer, amount, source=EntrySource.MANUAL,
                           now=now - dt.timedelta(days=len(points) - n))
            for n, amount in enumerate(points)]


def test_spending_takes_the_oldest_lots_first_and_a_refund_puts_them_back(app: Flask, session: Session) -> None:
    shop = factories.shop(session, "spend.myshopify.com")
    customer = factories.customer(session, shop, "1")
    old, middle, new = _lots(session, shop, customer, 30, 50, 40)

    spent = postings.spend(session, customer, 60, source=EntrySource.REDEMPTION)
    assert (spent.points, spent.source) == (-60, "redemption")
    assert (customer.current_points, customer.lifetime_points, customer.redeemed_points) == (60, 120, 60)
    assert [lot.points_remaining for lot in (old, middle, new)] == [0, 20, 40]
    assert sorted(_allocations(session, spent)) == sorted([(old.id, 30), (middle.id, 30)])
    assert audit.disagreements(session) == []

    refund = postings.refund_allocation(session, customer, spent)
    assert refund is not None and (refund.points, refund.source) == (60, "redemption_refund")
    session.expire_all()
    assert [lot.points_remaining for lot in session.scalars(
        select(EarningEntry).where(EarningEntry.id.in_([old.id, middle.id, new.id]))
        .order_by(EarningEntry.points_given_at))] == [30, 50, 40]
    assert (customer.current_points, customer.lifetime_points, customer.redeemed_points) == (120, 120, 0)
    assert postings.refund_allocation(session, customer, spent) is None  # once only
    assert customer.current_points == 120
    assert audit.disagreements(session) == []


def test_a_short_balance_refuses_a_redemption_and_a_removal_takes_what_there_is(app: Flask,
                                                                                 session: Session) -> None:
    shop = factories.shop(session, "short.myshopify.com")
    customer = factories.customer(session, shop, "1", current_points=50)
    with pytest.raises(Conflict, match="fewer than 80"):
        postings.spend(session, customer, 80, source=EntrySource.REDEMPTION)
    assert session.scalars(select(EarningEntry).where(EarningEntry.source == "redemption")).all() == []
    removal = postings.spend(session, customer, 80, source=EntrySource.MANUAL, up_to_balance=True)
    assert removal.points == -50
    assert (customer.current_points, customer.lifetime_points, customer.redeemed_points) == (0, 50, 0)
    with pytest.raises(Conflict, match="not a redemption"):
        postings.refund_allocation(session, customer, removal)
    assert audit.disagreements(session) == []


def test_a_reversal_takes_from_its_own_lot_first_and_expiry_writes_one_entry_per_lot(app: Flask,
                                                                                       session: Session) -> None:
    shop = factories.shop(session, "reverse.myshopify.com", expiry_days=30)
    customer = factories.customer(session, shop, "1")
    old, order = _lots(session, shop, customer, 40, 100)
    postings.lock(session, customer)
    reversal = postings.reverse(session, customer=customer, entry=order, points=70, dedupe_key="order:1:refund:1",
                                reason="order_refunded")
    assert reversal is not None and (reversal.source, reversal.points, reversal.base_points) == ("reversal", -70, -70)
    assert _allocations(session, reversal) == [(order.id, 70)] and old.points_remaining == 40
    assert (customer.current_points, customer.lifetime_points) == (70, 70)

    later = utcnow() + dt.timedelta(days=40)
    assert postings.expire(session, customer, [old, order], now=later) == 70
    expiries = session.scalars(select(EarningEntry).where(EarningEntry.source == "expiry")
                               .order_by(EarningEntry.points)).all()
    assert [(e.points, _allocations(session, e)) for e in expiries] == [(-40, [(old.id, 40)]), (-30, [(order.id, 30)])]
    assert (customer.current_points, customer.lifetime_points) == (0, 70)
    assert audit.disagreements(session) == []
