"""What a merchant does to one customer: adjust points, decide pending entries, exclude."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, FromClause, Insert, Integer, String, bindparam, case, cast, func, literal, null, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import Conflict, NotFound, quote
from shopify_app.loyalty.ledger import effects, postings
from shopify_app.loyalty.ledger.effects import enqueue_customer_sync, record_activity
from shopify_app.models import Customer, EarningEntry, EntrySource, Shop
from shopify_app.portable_sql import json_object
from shopify_app.shops.lookup import get_owned

POINTS_ADJUSTED = "points_adjusted"  # the activity-log kind of an adjustment


def get_customer(session: Session, shop: Shop, customer_id: str) -> Customer:
    """The shop's customer by our id; another shop's id is simply not found."""
    return get_owned(session, Customer, shop.id, customer_id, "Customer")


def adjust_points(
    session: Session, shop: Shop, customer: Customer, delta: int, note: str | None, *,
    update_lifetime: bool = True, announce: bool = True, now: dt.datetime | None = None,
) -> EarningEntry:
    """Add or remove points by hand. A removal takes at most the balance (the entry's points say
    how much it took); an excluded customer cannot be given points (Conflict, nothing written).
    One statement on PostgreSQL (``postings.change``): the entry, the lots, the balances and
    tier, the activity row and the outbox rows.

    ``update_lifetime=False``: an addition leaves lifetime points (and so the tier) where they are.
    ``announce=False``: the profile still syncs, but no "Points Awarded" event goes to the marketing tools."""
    common: dict[str, Any] = dict(source=EntrySource.MANUAL, note=note, manual=True, now=now, requested=delta,
                                  announce=announce)
    if delta > 0:
        return postings.change_points(session, _ADD, customer, delta, lifetime=update_lifetime,
                                      refuse_excluded=True, expiring_in=shop, **common)
    return postings.change_points(session, _REMOVE, customer, -delta, up_to_balance=True, **common)


def _adjusted(entry: FromClause) -> tuple[Insert, ...]:
    """An adjustment's activity row (``adjustment_message``, in SQL) and outbox rows, from its entry."""
    points = cast(entry.c.points, String)
    note = cast(bindparam("note", type_=String), String)
    message = (case((entry.c.points >= 0, literal("+") + points), else_=points)
               + literal(" points adjusted by the merchant")
               + case((func.coalesce(note, literal("")) != literal(""), literal(": ") + note), else_=literal("")))
    data = json_object(literal("requested"), cast(bindparam("requested", type_=Integer), Integer),
                       literal("points"), entry.c.points, literal("note"), note)
    return (
        effects.entry_activity(entry, POINTS_ADJUSTED, message, data),
        effects.customer_sync_with(entry, json_object(literal("reason"), literal(POINTS_ADJUSTED)),
                                   case((bindparam("announce", type_=Boolean), entry.c.id), else_=null())),
    )


_ADD = postings.change(credit=True, side_effects=_adjusted)
_REMOVE = postings.change(credit=False, side_effects=_adjusted)


def adjustment_toast(requested: int, points: int) -> str:
    """What the merchant is told: a removal the balance could not cover says how much it took."""
    if points == requested:
        return f"Points adjusted by {points:+d}"
    if points:  # a removal larger than the balance took all of it
        return f"Removed {-points} points (all the customer had)"
    return "No points removed (the customer had none)"


def adjustment_message(points: int, note: str | None) -> str:
    """The activity-log line of an adjustment; customers/redact writes it again without the note."""
    return f"{points:+d} points adjusted by the merchant" + (f": {note}" if note else "")


def decide_pending(
    session: Session, shop: Shop, customer: Customer, entry_id: str, *, approve: bool, now: dt.datetime | None = None
) -> EarningEntry:
    """Approve (credit now) or reject a pending entry of this customer; Conflict when it was decided
    already (a refund, the scheduler or another click got there first)."""
    now = now or utcnow()
    postings.lock(session, customer)
    entry = session.scalar(
        select(EarningEntry).where(EarningEntry.customer_id == customer.id, EarningEntry.id == entry_id)
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise NotFound(f"Entry '{quote(entry_id)}' not found")
    if approve:
        decided = postings.approve(session, shop, entry, customer, now=now)
    else:
        decided = postings.reject(session, entry, now=now)
    if not decided:
        raise Conflict(f"Entry '{entry_id}' is already {entry.status}")
    entry.manual_intervention = True
    verb = "approved" if approve else "rejected"
    record_activity(
        session, customer, kind=f"points_{verb}", entry_id=entry.id,
        message=f"{entry.points} pending points {verb} by the merchant", data={"points": entry.points},
    )
    enqueue_customer_sync(session, customer, reason=f"points_{verb}", entry_id=entry.id, version_bumped=approve)
    return entry


def set_excluded(session: Session, customer: Customer, excluded: bool) -> None:
    """Exclude a customer from the program (they stop earning) or include them again."""
    if customer.is_excluded == excluded:
        return
    customer.is_excluded = excluded
    record_activity(
        session, customer, kind="excluded" if excluded else "included",
        message="Excluded from the loyalty program" if excluded else "Included in the loyalty program again",
        data={},
    )
    enqueue_customer_sync(session, customer, reason="loyalty_status_changed")
