"""Writing the points ledger: new earning entries and the balances they move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Row, Update, bindparam, case, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shopify_app.clock import utcnow
from shopify_app.db import hold_write_lock
from shopify_app.errors import Conflict
from shopify_app.loyalty.ledger import effects
from shopify_app.loyalty.ledger.tiers import multiplier_of, multiply, tier_for_lifetime
from shopify_app.models import Customer, EarningEntry, EarningRule, EntryStatus, Shop
from shopify_app.upserts import insert_new

# The action of the negative entry that expiry writes for the points it takes.
POINTS_EXPIRED = "points_expired"


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
    values = dict(
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
        created_at=now,
        updated_at=now,
    )
    entry = insert_new(session, EarningEntry, values, ["customer_id", "dedupe_key"])
    if entry is None:
        raise Conflict(f"Customer '{customer.shopify_customer_id}' already earned points for rule '{rule.id}'")
    approved = entry.status == EntryStatus.APPROVED.value
    if approved:
        credit(session, customer, entry.points, now=now)
    effects.points_awarded(session, entry, customer, rule_name=rule.name, version_bumped=approved)
    return entry


def expiry_for(shop: Shop, given_at: dt.datetime | None) -> dt.datetime | None:
    days = shop.settings.points_expiry_days if shop.settings else 0
    if given_at is None or days <= 0:
        return None
    return given_at + dt.timedelta(days=days)


def credit(session: Session, customer: Customer, points: int, *, now: dt.datetime | None = None,
           lifetime: bool = True) -> None:
    """Add approved points to the balance and lifetime total, and move the tier, in one UPDATE
    (``lifetime=False``: the balance alone, as a merchant's adjustment may ask)."""
    _move_balances(session, _CREDIT if lifetime else _CREDIT_BALANCE, customer, points, now)


def debit(session: Session, customer: Customer, points: int, *, now: dt.datetime | None = None) -> None:
    """Take approved points back: balance and lifetime each floor at 0 and the tier follows."""
    _move_balances(session, _DEBIT, customer, points, now)


def reverse(
    session: Session, *, customer: Customer, entry: EarningEntry, points: int, dedupe_key: str, reason: str,
    now: dt.datetime | None = None,
) -> EarningEntry | None:
    """Reverse ``points`` of an approved entry with a negative entry keyed ``dedupe_key``;
    None (and no change) when that reversal was recorded already."""
    now = now or utcnow()
    values = dict(
        shop_id=entry.shop_id, customer_id=customer.id, earning_rule_id=entry.earning_rule_id,
        dedupe_key=dedupe_key, action=reason, base_points=-points, points_multiplier=1, points=-points,
        points_remaining=0, status=EntryStatus.APPROVED.value, points_given_at=now, order_id=entry.order_id,
        order_number=entry.order_number, created_at=now, updated_at=now,
    )
    reversal = insert_new(session, EarningEntry, values, ["customer_id", "dedupe_key"])
    if reversal is None:
        return None
    entry.points_remaining = max(0, entry.points_remaining - points)
    debit(session, customer, points, now=now)
    effects.points_changed(session, reversal, customer, kind="points_reversed", version_bumped=True,
                                message=f"{points} points reversed: {reason.replace('_', ' ')}")
    return reversal


def lock(session: Session, customer: Customer) -> None:
    """Lock the customer's row until commit and take its current balances.

    Whatever changes a customer's entries (adjustments, approvals, refunds, expiry) takes this
    lock first and the entries' rows after it: one lock order, so two of them never wait on
    each other, and the second reads what the first committed."""
    hold_write_lock(session)
    # OF customers: a customer loaded with their tier is refreshed with it, and PostgreSQL locks no
    # row of an outer join's nullable side.
    session.refresh(customer, with_for_update={"of": Customer})


def lock_free(session: Session, customer_ids: Iterable[str]) -> list[Customer]:
    """``lock`` for the scheduled jobs: the customers no one else holds, locked in id order, with
    their current balances; the others wait for the next run rather than hold up a worker."""
    ids = set(customer_ids)
    if not ids:
        return []
    hold_write_lock(session)
    return list(session.scalars(
        select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ))


def approve(session: Session, shop: Shop, entry: EarningEntry, customer: Customer, *,
            now: dt.datetime | None = None) -> bool:
    """Credit a pending entry now; False, and nothing changed, when it is no longer pending (``_decide``)."""
    now = now or utcnow()
    if not _decide(session, entry, now, status=EntryStatus.APPROVED.value, points_given_at=now,
                   points_remaining=entry.points, points_expiry_at=expiry_for(shop, now)):
        return False
    credit(session, customer, entry.points, now=now)
    return True


def reject(session: Session, entry: EarningEntry, *, now: dt.datetime | None = None) -> bool:
    """A pending entry that will never be credited; False when it is no longer pending (``_decide``)."""
    return _decide(session, entry, now or utcnow(), status=EntryStatus.REJECTED.value, points_remaining=0,
                   points_due_at=None)


def _decide(session: Session, entry: EarningEntry, now: dt.datetime, **values: Any) -> bool:
    """Move a pending entry on in one UPDATE that checks it is still pending, so of two deciders
    only one wins whatever locks they took. The loser's ``entry`` is read again and shows what
    was decided, for the caller to act on."""
    values["updated_at"] = now
    # An UPDATE's result is a CursorResult, which Session.execute's type does not say.
    decided = cast("CursorResult[Any]", session.execute(
        update(EarningEntry).where(EarningEntry.id == entry.id, EarningEntry.status == EntryStatus.PENDING.value)
        .values(values).execution_options(synchronize_session=False)
    )).rowcount
    if not decided:
        session.refresh(entry)
        return False
    for name, value in values.items():
        set_committed_value(entry, name, value)
    return True


def _move_balances(
    session: Session, statement: Update, customer: Customer, points: int, now: dt.datetime | None
) -> None:
    previous_tier_id = customer.vip_tier_id
    row = session.execute(statement, {"customer": customer.id, "points": points, "now": now or utcnow()}).one()
    _refresh_balances(session, customer, row)
    if customer.vip_tier_id != previous_tier_id:
        effects.tier_changed(session, customer, previous_tier_id=previous_tier_id)


def _balance_update(current: ColumnElement[int], lifetime: ColumnElement[int]) -> Update:
    """One UPDATE moving balance, lifetime points and tier together, and the sync version with them."""
    return (
        update(_customers)
        .where(_customers.c.id == bindparam("customer"))
        .values(
            current_points=current,
            lifetime_points=lifetime,
            vip_tier_id=tier_for_lifetime(lifetime),
            updated_at=bindparam("now", type_=_customers.c.updated_at.type),
            sync_version=_customers.c.sync_version + 1,
        )
        .returning(_customers.c.current_points, _customers.c.lifetime_points, _customers.c.vip_tier_id)
    )


def _floored(column: ColumnElement[int]) -> ColumnElement[int]:
    return case((column > _points, column - _points), else_=0)


# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_customers = Customer.__table__
_points = bindparam("points", type_=_customers.c.current_points.type)
_CREDIT = _balance_update(_customers.c.current_points + _points, _customers.c.lifetime_points + _points)
_CREDIT_BALANCE = _balance_update(_customers.c.current_points + _points, _customers.c.lifetime_points)
_DEBIT = _balance_update(_floored(_customers.c.current_points), _floored(_customers.c.lifetime_points))


def _refresh_balances(session: Session, customer: Customer, row: Row[Any]) -> None:
    """Take the database's new balances and tier as the customer's committed state."""
    for name, value in row._mapping.items():
        set_committed_value(customer, name, value)
    session.expire(customer, ["vip_tier"])
