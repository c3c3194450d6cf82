"""What a points change sets in motion: the activity log and the outbox rows, same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shopify_app.models import ActivityLogEntry, Customer, EarningEntry, OutboxMessage
from shopify_app.models.outbox import CUSTOMER_SYNC_TOPICS


def points_awarded(session: Session, entry: EarningEntry, customer: Customer, *, rule_name: str) -> None:
    verb = "earned" if entry.status == "approved" else "are pending for"
    session.add(
        ActivityLogEntry(
            shop_id=entry.shop_id,
            customer_id=customer.id,
            entry_id=entry.id,
            kind="points_awarded",
            message=f"{entry.points} points {verb} {rule_name}",
            data={"points": entry.points, "status": entry.status, "earning_rule": rule_name},
            created_at=entry.created_at,
        )
    )
    enqueue_customer_sync(session, customer, reason="points_awarded", entry_id=entry.id)


def points_changed(session: Session, entry: EarningEntry, customer: Customer, *, kind: str, message: str) -> None:
    """A reversal or a rejection: logged, and the new balance synced like an award."""
    session.add(
        ActivityLogEntry(
            shop_id=entry.shop_id, customer_id=customer.id, entry_id=entry.id, kind=kind, message=message,
            data={"points": entry.points, "status": entry.status},
        )
    )
    enqueue_customer_sync(session, customer, reason=kind, entry_id=entry.id)


def tier_changed(session: Session, customer: Customer, *, previous_tier_id: str | None) -> None:
    session.add(
        ActivityLogEntry(
            shop_id=customer.shop_id,
            customer_id=customer.id,
            kind="vip_tier_changed",
            message="VIP tier changed",
            data={"previous_tier_id": previous_tier_id, "vip_tier_id": customer.vip_tier_id},
        )
    )


def enqueue_customer_sync(session: Session, customer: Customer, *, reason: str, entry_id: str | None = None) -> None:
    """One outbox row per destination; the relay delivers them after commit."""
    session.add_all(
        OutboxMessage(
            shop_id=customer.shop_id,
            topic=topic.value,
            customer_id=customer.id,
            entry_id=entry_id,
            payload={"reason": reason},
        )
        for topic in CUSTOMER_SYNC_TOPICS
    )
