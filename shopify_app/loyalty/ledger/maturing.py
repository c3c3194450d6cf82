"""Points that mature with time: pending entries approved when due, approved lots expired."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.ledger import effects, postings
from shopify_app.models import EarningEntry, EntryStatus, Shop

BATCH = 500


def approve_due(session: Session, *, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Approve up to ``limit`` pending entries whose ``points_due_at`` has passed; returns how many.

    Their customers are locked first (``postings.lock_free``: one held by a request or another
    scheduler waits for the next run) and each approval checks the entry is still pending, so
    nothing is credited twice and an entry a refund rejected stays rejected."""
    now = now or utcnow()
    due = session.scalars(
        select(EarningEntry)
        .where(EarningEntry.status == EntryStatus.PENDING.value, EarningEntry.points_due_at <= now)
        .order_by(EarningEntry.points_due_at)
        .limit(limit)
    ).all()
    by_customer: dict[str, list[EarningEntry]] = {}
    for entry in due:
        by_customer.setdefault(entry.customer_id, []).append(entry)
    approved = 0
    for customer in postings.lock_free(session, {(entry.customer_id, entry.shop_id) for entry in due}):
        for entry in by_customer[customer.id]:
            if not postings.approve(session, session.get_one(Shop, entry.shop_id), entry, customer, now=now):
                continue
            rule_name = entry.earning_rule.name if entry.earning_rule else entry.action
            effects.record_activity(
                session, customer, kind="points_approved", entry_id=entry.id,
                message=f"{entry.points} points approved for {rule_name}",
                data={"points": entry.points, "status": EntryStatus.APPROVED.value, "earning_rule": rule_name},
            )
            effects.enqueue_customer_sync(session, customer, reason="points_approved", entry_id=entry.id,
                                               event_status=EntryStatus.APPROVED.value, version_bumped=True)
            approved += 1
    return approved


def expire_points(session: Session, *, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Expire lots whose ``points_expiry_at`` has passed, for up to ``limit`` customers, oldest
    lots first; returns the points expired. Each expired lot gets its own negative entry
    (``postings.expire``), so the balance stays the sum of the entries and a customer sees why
    points went; spent points have already left the lots."""
    now = now or utcnow()
    expiring = (EarningEntry.status == EntryStatus.APPROVED.value, EarningEntry.points_remaining > 0,
                EarningEntry.points_expiry_at <= now)
    keys = session.execute(
        select(EarningEntry.customer_id, EarningEntry.shop_id).where(*expiring)
        .group_by(EarningEntry.customer_id, EarningEntry.shop_id).order_by(EarningEntry.customer_id).limit(limit)
    ).tuples().all()
    customers = postings.lock_free(session, keys)
    # The lots are locked one shop at a time: a locking read that names its shop goes to that
    # shop's shard on Citus, which refuses one across shards.
    by_shop: dict[str, list[str]] = {}
    for customer in customers:
        by_shop.setdefault(customer.shop_id, []).append(customer.id)
    lots_of: dict[str, list[EarningEntry]] = {}
    for shop_id, ids in sorted(by_shop.items()):
        for lot in session.scalars(
            select(EarningEntry).where(EarningEntry.customer_id.in_(ids), EarningEntry.shop_id == shop_id, *expiring)
            .order_by(EarningEntry.points_expiry_at, EarningEntry.created_at)
            .with_for_update().execution_options(populate_existing=True)
        ):
            lots_of.setdefault(lot.customer_id, []).append(lot)
    expired_total = 0
    for customer in customers:
        lots = lots_of.get(customer.id)
        if not lots:
            continue  # spent or expired by someone else between the first read and the lock
        expired = postings.expire(session, customer, lots, now=now)
        effects.record_activity(
            session, customer, kind="points_expired", message=f"{expired} points expired",
            data={"points": expired, "entries": [lot.id for lot in lots]},
        )
        effects.enqueue_customer_sync(session, customer, reason="points_expired", version_bumped=True)
        expired_total += expired
    return expired_total
