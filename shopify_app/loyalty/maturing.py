"""Points that mature with time: pending entries approved when due, approved lots expired."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty import side_effects
from shopify_app.loyalty.ledger import credit, expiry_for
from shopify_app.models import Customer, EarningEntry, EntryStatus, Shop

BATCH = 500


def approve_due(session: Session, *, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Approve up to ``limit`` pending entries whose ``points_due_at`` has passed; returns how many.

    Rows are claimed with SKIP LOCKED (PostgreSQL) and the status is checked again in the
    UPDATE, so two schedulers running at once never credit an entry twice."""
    now = now or utcnow()
    due = session.scalars(
        select(EarningEntry)
        .where(EarningEntry.status == EntryStatus.PENDING.value, EarningEntry.points_due_at <= now)
        .order_by(EarningEntry.points_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    approved = 0
    for entry in due:
        shop = session.get_one(Shop, entry.shop_id)
        claimed = session.execute(
            update(EarningEntry)
            .where(EarningEntry.id == entry.id, EarningEntry.status == EntryStatus.PENDING.value)
            .values(status=EntryStatus.APPROVED.value, points_given_at=now, points_remaining=entry.points,
                    points_expiry_at=expiry_for(shop, now), updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        customer = session.get_one(Customer, entry.customer_id)
        credit(session, customer, entry.points, now=now)
        rule_name = entry.earning_rule.name if entry.earning_rule else entry.action
        side_effects.record_activity(
            session, customer, kind="points_approved", entry_id=entry.id,
            message=f"{entry.points} points approved for {rule_name}",
            data={"points": entry.points, "status": EntryStatus.APPROVED.value, "earning_rule": rule_name},
        )
        side_effects.enqueue_customer_sync(session, customer, reason="points_approved", entry_id=entry.id,
                                           event_status=EntryStatus.APPROVED.value, version_bumped=True)
        approved += 1
    return approved


def expire_points(session: Session, *, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Expire lots whose ``points_expiry_at`` has passed, oldest lots first; returns points expired.

    A customer never loses more than the balance: spent points have already left it."""
    now = now or utcnow()
    lots = session.scalars(
        select(EarningEntry)
        .where(EarningEntry.status == EntryStatus.APPROVED.value, EarningEntry.points_remaining > 0,
               EarningEntry.points_expiry_at <= now)
        .order_by(EarningEntry.customer_id, EarningEntry.points_expiry_at, EarningEntry.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    expired_total = 0
    by_customer: dict[str, list[EarningEntry]] = {}
    for lot in lots:
        by_customer.setdefault(lot.customer_id, []).append(lot)
    for customer_id, customer_lots in by_customer.items():
        customer = session.scalars(select(Customer).where(Customer.id == customer_id).with_for_update()).one()
        balance = customer.current_points
        expired = 0
        for lot in customer_lots:
            taken = min(lot.points_remaining, balance - expired)
            expired += taken
            lot.points_remaining = 0
            lot.updated_at = now
        customer.current_points = balance - expired  # the row is locked: no lost update
        customer.updated_at = now
        side_effects.record_activity(
            session, customer, kind="points_expired", message=f"{expired} points expired",
            data={"points": expired, "entries": [lot.id for lot in customer_lots]},
        )
        side_effects.enqueue_customer_sync(session, customer, reason="points_expired")
        expired_total += expired
    return expired_total
