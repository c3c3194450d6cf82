"""Scheduled ledger work: pending entries approved when due, points expired oldest lots first; each once."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.ledger import postings
from shopify_app.loyalty.ledger.maturing import approve_due, expire_points
from shopify_app.models import ActivityLogEntry, Customer, EarningEntry, EntrySource, LotAllocation, OutboxMessage
from tests import factories
from tests.fakes.shopify import order_node
from tests.jobs.conftest import award, work


def test_due_entries_are_approved_once_and_synced(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                                  fakes: SimpleNamespace, session: Session) -> None:
    entry = award(sync_client, shop, "follow_on_tiktok")  # 50 x 1.5 pending for 14 days
    work(sync_app)
    session.execute(update(EarningEntry).values(points_due_at=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    work(sync_app)
    work(sync_app)

    session.expire_all()
    stored = session.get_one(EarningEntry, entry["id"])
    assert (stored.status, stored.points_remaining) == ("approved", 75)
    gold = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    assert (gold.current_points, gold.lifetime_points) == (1275, 1275)
    assert {uid: e["properties"]["status"] for uid, e in fakes.klaviyo.events.items()} == {
        entry["id"]: "pending", f"{entry['id']}-points_approved": "approved"}
    assert fakes.klaviyo.profiles["shopify:1001"]["properties"]["Loyalty Points Balance"] == 1275
    assert set(session.scalars(select(OutboxMessage.status))) == {"done"}


def test_expiry_takes_the_oldest_lots_first_and_never_below_zero(app: Flask, session: Session) -> None:
    shop = factories.shop(session, expiry_days=30)
    customer = factories.customer(session, shop, "7")
    now = utcnow()
    lots = [postings.grant(session, shop, customer, 100, source=EntrySource.MANUAL, now=now - dt.timedelta(days=ago))
            for ago in (40, 35, 10)]
    postings.spend(session, customer, 180, source=EntrySource.MANUAL)  # the oldest lots first: 100, then 80
    session.commit()

    # 200 points of lots expired, but only 20 of them are still unspent.
    assert expire_points(session, now=now) == 20
    session.commit()
    assert expire_points(session, now=now) == 0
    session.refresh(customer)
    assert (customer.current_points, customer.lifetime_points) == (100, 300)
    assert [lot.points_remaining for lot in lots] == [0, 0, 100]
    expiry = session.scalars(select(EarningEntry).where(EarningEntry.source == "expiry")).one()  # one per lot
    assert session.execute(select(LotAllocation.lot_id, LotAllocation.points)
                           .where(LotAllocation.entry_id == expiry.id)).tuples().all() == [(lots[1].id, 20)]
    log = session.scalars(select(ActivityLogEntry).where(ActivityLogEntry.kind == "points_expired")).one()
    assert log.data == {"points": 20, "entries": [lots[1].id]}
    assert session.scalar(select(OutboxMessage.payload).limit(1)) == {"reason": "points_expired"}


def test_approval_runs_in_batches_without_doubling(app: Flask, session: Session) -> None:
    shop = factories.shop(session)
    rule = factories.rule(session, shop, approval_time=1)
    customers = [factories.customer(session, shop, str(n)) for n in range(3)]
    past = utcnow() - dt.timedelta(days=2)
    for customer in customers:
        session.add(EarningEntry(shop_id=shop.id, customer_id=customer.id, earning_rule_id=rule.id, action="x",
                                 source="rule_award",
                                 base_points=10, points_multiplier=1, points=10, status="pending",
                                 points_due_at=past))
    session.commit()
    assert approve_due(session, limit=2) == 2
    assert approve_due(session, limit=2) == 1
    assert approve_due(session, limit=2) == 0
    session.commit()
    session.expire_all()
    assert [c.current_points for c in session.scalars(select(Customer).order_by(Customer.shopify_customer_id))] == [
        10, 10, 10]


def test_reconciliation_applies_an_order_no_webhook_brought(sync_app: Flask, shop: dict[str, Any],
                                                            fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.orders.append(order_node("5551", "#1051", "40.00", "3.20",
                                           ("1002", "new@example.com", "Newt", "Member")))
    work(sync_app)
    work(sync_app)  # the next run reads the same order again (overlap): still one entry

    purchases = session.scalars(select(EarningEntry).where(EarningEntry.order_id == "5551")).all()
    assert [(e.order_number, e.points, e.status) for e in purchases] == [("#1051", 40, "approved")]
    assert session.scalars(select(Customer).where(Customer.shopify_customer_id == "1002")).one().current_points == 40
