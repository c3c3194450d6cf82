"""What a points change sets in motion: the activity log and the outbox rows, same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Insert,
    String,
    bindparam,
    case,
    cast,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from shopify_app.db import UTCDateTime
from shopify_app.models import ActivityLogEntry, Customer, EarningEntry, OutboxMessage
from shopify_app.models.outbox import CUSTOMER_SYNC_TOPICS, OutboxStatus, OutboxTopic
from shopify_app.portable_sql import json_object

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_customers = Customer.__table__
_outbox = OutboxMessage.__table__
_INSERT_ACTIVITY = insert(ActivityLogEntry.__table__)
TIER_CHANGED = "vip_tier_changed"
TIER_CHANGED_MESSAGE = "VIP tier changed"


def _activity_from(row: Any) -> Insert:
    return _INSERT_ACTIVITY.from_select(
        ["id", "shop_id", "customer_id", "entry_id", "kind", "message", "data", "created_at"], row)
_INSERT_OUTBOX = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)
_BUMP_SYNC_VERSION = (
    update(_customers)
    .where(_customers.c.id == bindparam("customer"))
    .values(sync_version=_customers.c.sync_version + 1)
)


def points_awarded(entry: FromClause, rule_name: ColumnElement[str]) -> Insert:
    """The activity row of an earning: ``entry`` has the entry's columns (its INSERT's RETURNING, or
    the row read back), the ``activity_id`` parameter names the row. SQL, so that PostgreSQL writes
    it in the earning's one statement and SQLite after it, from this one definition."""
    verb = case((entry.c.status == "approved", literal(" points earned ")), else_=literal(" points are pending for "))
    return _activity_from(select(
        bindparam("activity_id", type_=String), entry.c.shop_id, entry.c.customer_id, entry.c.id,
        literal("points_awarded"), cast(entry.c.points, String) + verb + rule_name,
        json_object(literal("points"), entry.c.points, literal("status"), entry.c.status, literal("earning_rule"),
                    rule_name),
        entry.c.created_at,
    ))


def points_awarded_sync(entry: FromClause) -> Insert:
    """``enqueue_customer_sync``'s rows for an earning, in SQL like ``points_awarded``; the
    earning's balance UPDATE bumps the sync version."""
    return customer_sync_with(entry, json_object(literal("reason"), literal("points_awarded"), literal("status"),
                                                 entry.c.status), entry.c.id)


def entry_activity(entry: FromClause, kind: str, message: ColumnElement[str], data: ColumnElement[Any]) -> Insert:
    """``record_activity`` in SQL, like ``points_awarded``: the row, named by the ``activity_id``
    parameter, of ``entry`` (an INSERT's RETURNING, or the row read back)."""
    return _activity_from(select(bindparam("activity_id", type_=String), entry.c.shop_id, entry.c.customer_id,
                                 entry.c.id, literal(kind), message, data, entry.c.created_at))


def customer_sync_with(entry: FromClause, payload: ColumnElement[Any], entry_id: ColumnElement[str | None]) -> Insert:
    """``enqueue_customer_sync``'s rows in SQL for the customer of ``entry``, whose balance UPDATE
    bumped the sync version: ``payload`` each, naming ``entry_id`` (NULL: no event)."""
    topics = union_all(*(select(literal(topic.value).label("topic")) for topic in CUSTOMER_SYNC_TOPICS)).subquery()
    return insert(_outbox).from_select(
        ["shop_id", "topic", "customer_id", "entry_id", "payload", "status", "attempts", "created_at"],
        select(entry.c.shop_id, topics.c.topic, entry.c.customer_id, entry_id, payload,
               literal(OutboxStatus.PENDING.value), literal(0), entry.c.created_at)
        .select_from(entry.join(topics, true())),
    )


def tier_changed_with(customer: FromClause, previous_tier_id: ColumnElement[str | None]) -> Insert:
    """``tier_changed`` in SQL: the row, named by the ``tier_activity_id`` parameter, when
    ``customer`` (the balance UPDATE's RETURNING, or the row read back) left ``previous_tier_id``."""
    return _activity_from(select(
        bindparam("tier_activity_id", type_=String), customer.c.shop_id, customer.c.id, literal(None, String),
        literal(TIER_CHANGED), literal(TIER_CHANGED_MESSAGE),
        json_object(literal("previous_tier_id"), previous_tier_id, literal("vip_tier_id"), customer.c.vip_tier_id),
        bindparam("now", type_=UTCDateTime),
    ).where(customer.c.vip_tier_id.is_distinct_from(previous_tier_id)))


def points_changed(
    session: Session, entry: EarningEntry, customer: Customer, *, kind: str, message: str, version_bumped: bool = False
) -> None:
    """A reversal or a rejection: logged, and the new balance synced like an award."""
    _log_activity(session, shop_id=entry.shop_id, customer_id=customer.id, entry_id=entry.id, kind=kind,
                  message=message, data={"points": entry.points, "status": entry.status})
    enqueue_customer_sync(session, customer, reason=kind, entry_id=entry.id, version_bumped=version_bumped)


def tier_changed(session: Session, customer: Customer, *, previous_tier_id: str | None) -> None:
    record_activity(session, customer, kind=TIER_CHANGED, message=TIER_CHANGED_MESSAGE,
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
