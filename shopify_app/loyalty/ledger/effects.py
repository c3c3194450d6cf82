"""What a points change sets in motion: the activity log and the outbox rows, same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from shopify_app.models import ActivityLogEntry, Customer, EarningEntry, OutboxMessage
from shopify_app.models.outbox import CUSTOMER_SYNC_TOPICS, OutboxTopic

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_customers = Customer.__table__
_INSERT_ACTIVITY = insert(ActivityLogEntry.__table__)
_INSERT_OUTBOX = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)
_BUMP_SYNC_VERSION = (
    update(_customers)
    .where(_customers.c.id == bindparam("customer"))
    .values(sync_version=_customers.c.sync_version + 1)
)


def points_awarded(
    session: Session, entry: EarningEntry, customer: Customer, *, rule_name: str, version_bumped: bool = False
) -> None:
    verb = "earned" if entry.status == "approved" else "are pending for"
    _log_activity(
        session, shop_id=entry.shop_id, customer_id=customer.id, entry_id=entry.id, kind="points_awarded",
        message=f"{entry.points} points {verb} {rule_name}",
        data={"points": entry.points, "status": entry.status, "earning_rule": rule_name}, created_at=entry.created_at,
    )
    enqueue_customer_sync(session, customer, reason="points_awarded", entry_id=entry.id, event_status=entry.status,
                          version_bumped=version_bumped)


def points_changed(
    session: Session, entry: EarningEntry, customer: Customer, *, kind: str, message: str, version_bumped: bool = False
) -> None:
    """A reversal or a rejection: logged, and the new balance synced like an award."""
    _log_activity(session, shop_id=entry.shop_id, customer_id=customer.id, entry_id=entry.id, kind=kind,
                  message=message, data={"points": entry.points, "status": entry.status})
    enqueue_customer_sync(session, customer, reason=kind, entry_id=entry.id, version_bumped=version_bumped)


def tier_changed(session: Session, customer: Customer, *, previous_tier_id: str | None) -> None:
    record_activity(session, customer, kind="vip_tier_changed", message="VIP tier changed",
                    data={"previous_tier_id": previous_tier_id, "vip_tier_id": customer.vip_tier_id})


def enqueue_customer_sync(
    session: Session, customer: Customer, *, reason: str, entry_id: str | None = None,
    event_status: str | None = None, version_bumped: bool = False, redemption_id: str | None = None,
) -> None:
    """One outbox row per destination; the relay delivers them after commit.

    The customer's sync version moves with every change, so a delivery knows whether the
    state it reads is newer than what the destination already has. A balance move (credit or
    debit) bumps it in its own UPDATE; its caller says so with ``version_bumped`` and this
    saves a statement. With ``entry_id`` the rows also carry a "Points Awarded" event whose
    status is the one at this moment; with ``redemption_id``, a "Reward Redeemed" event. The rows
    go in one multi-row INSERT: with RETURNING,
    SQLAlchemy batches an executemany into a single statement rather than one per row."""
    if not version_bumped:
        session.execute(_BUMP_SYNC_VERSION, {"customer": customer.id})
    payload: dict[str, str] = {"reason": reason}
    if event_status is not None:
        payload["status"] = event_status
    if redemption_id is not None:
        payload["redemption_id"] = redemption_id
    session.execute(
        _INSERT_OUTBOX,
        [
            dict(shop_id=customer.shop_id, topic=topic.value, customer_id=customer.id, entry_id=entry_id,
                 payload=payload)
            for topic in CUSTOMER_SYNC_TOPICS
        ],
    )


def record_activity(
    session: Session, customer: Customer, *, kind: str, message: str, data: dict[str, object],
    entry_id: str | None = None,
) -> None:
    _log_activity(session, shop_id=customer.shop_id, customer_id=customer.id, entry_id=entry_id, kind=kind,
                  message=message, data=data)


def program_changed(session: Session, shop_id: str) -> None:
    """Earning rules or tiers changed: the shop's program metafield is rewritten."""
    session.add(OutboxMessage(shop_id=shop_id, topic=OutboxTopic.SHOPIFY_SHOP_METAFIELD.value,
                              payload={"reason": "program_changed"}))


def log_activities(session: Session, rows: list[dict[str, Any]]) -> None:
    """Activity-log rows (shop_id, customer_id, entry_id, kind, message, data) in one INSERT."""
    if rows:
        session.execute(_INSERT_ACTIVITY, rows)


def _log_activity(session: Session, **values: Any) -> None:
    """An activity-log row, written at once with a Core INSERT rather than at the next flush;
    the entry it names is in the database already."""
    session.execute(_INSERT_ACTIVITY, values)
