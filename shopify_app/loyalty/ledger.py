"""Writing the points ledger: new earning entries and the balances they move."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from shopify_app.clock import utcnow
from shopify_app.errors import Conflict
from shopify_app.ids import new_id
from shopify_app.loyalty import side_effects
from shopify_app.loyalty.tiers import multiplier_of, multiply, tier_for_lifetime
from shopify_app.models import Customer, EarningEntry, EarningRule, EntryStatus, Shop

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def earn(
    session: Session,
    *,
    shop: Shop,
    customer: Customer,
    rule: EarningRule,
    base_points: int,
    dedupe_key: str,
    now: dt.datetime | None = None,
    order_id: str | None = None,
    order_number: str | None = None,
) -> EarningEntry:
    """Record points earned under ``rule``; raises Conflict when ``dedupe_key`` was used already.

    The unique (customer, dedupe_key) constraint decides: the INSERT skips a duplicate
    instead of failing, so concurrent requests get exactly one entry and the transaction
    stays usable for the caller."""
    now = now or utcnow()
    multiplier = multiplier_of(customer)
    points = multiply(base_points, multiplier)
    pending = rule.approval_time > 0
    given_at = None if pending else now
    entry = EarningEntry(
        id=new_id("cer"),
        shop_id=shop.id,
        customer_id=customer.id,
        earning_rule_id=rule.id,
        dedupe_key=dedupe_key,
        action=rule.action,
        base_points=base_points,
        points_multiplier=multiplier,
        points=points,
        points_remaining=0 if pending else points,
        status=(EntryStatus.PENDING if pending else EntryStatus.APPROVED).value,
        points_given_at=given_at,
        points_due_at=now + dt.timedelta(days=rule.approval_time) if pending else None,
        points_expiry_at=expiry_for(shop, given_at),
        order_id=order_id,
        order_number=order_number,
        manual_intervention=False,
        note=None,
        created_at=now,
        updated_at=now,
    )
    if not _insert_once(session, entry):
        raise Conflict(f"Customer '{customer.shopify_customer_id}' already earned points for rule '{rule.id}'")
    if entry.status == EntryStatus.APPROVED.value:
        credit(session, customer, entry.points, now=now)
    side_effects.points_awarded(session, entry, customer, rule_name=rule.name)
    return entry


def _insert_once(session: Session, entry: EarningEntry) -> bool:
    """INSERT … ON CONFLICT (customer_id, dedupe_key) DO NOTHING; False when it was a duplicate.

    A Core statement returning only the id costs a fraction of the ORM's RETURNING of a
    whole entity; the entry, complete already, then joins the session as persistent."""
    table = EarningEntry.__table__
    insert = _DIALECT_INSERTS[session.get_bind().dialect.name]
    statement = (
        insert(table).on_conflict_do_nothing(index_elements=["customer_id", "dedupe_key"]).returning(table.c.id)
    )
    values = {column.key: getattr(entry, column.key) for column in table.columns}
    if session.execute(statement, values).first() is None:
        return False
    make_transient_to_detached(entry)
    session.add(entry)
    return True


def expiry_for(shop: Shop, given_at: dt.datetime | None) -> dt.datetime | None:
    days = shop.settings.points_expiry_days if shop.settings else 0
    if given_at is None or days <= 0:
        return None
    return given_at + dt.timedelta(days=days)


def credit(session: Session, customer: Customer, points: int, *, now: dt.datetime | None = None) -> None:
    """Add approved points to the balance and lifetime total, and move the tier, in one UPDATE."""
    previous_tier_id = customer.vip_tier_id
    customers = Customer.__table__
    statement = (
        update(customers)
        .where(customers.c.id == customer.id)
        .values(
            current_points=customers.c.current_points + points,
            lifetime_points=customers.c.lifetime_points + points,
            vip_tier_id=tier_for_lifetime(customers.c.lifetime_points + points),
            updated_at=now or utcnow(),
        )
        .returning(customers.c.current_points, customers.c.lifetime_points, customers.c.vip_tier_id)
    )
    _refresh_balances(session, customer, session.execute(statement).one())
    if customer.vip_tier_id != previous_tier_id:
        side_effects.tier_changed(session, customer, previous_tier_id=previous_tier_id)


def _refresh_balances(session: Session, customer: Customer, row: Row[Any]) -> None:
    """Take the database's new balances and tier as the customer's committed state."""
    for name, value in row._mapping.items():
        set_committed_value(customer, name, value)
    session.expire(customer, ["vip_tier"])
