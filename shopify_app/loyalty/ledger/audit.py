"""The ledger audit: customers whose balances disagree with their entries, found in one grouped query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.adjustments import MANUAL_ADJUSTMENT
from shopify_app.loyalty.ledger.postings import POINTS_EXPIRED
from shopify_app.models import Customer, EarningEntry, EntryStatus

# Negative entries that spend points rather than take earned ones back: they leave lifetime
# points alone. Reversals are the other negative entries; postings.debit takes them off lifetime.
SPENDING = (MANUAL_ADJUSTMENT, POINTS_EXPIRED)


@dataclass(frozen=True)
class Disagreement:
    """One customer's stored balances beside what their entries add up to."""

    shop_id: str
    customer_id: str
    current_points: int
    lifetime_points: int
    approved_points: int  # sum of approved entries' points
    open_lot_points: int  # sum of points_remaining
    earned_points: int  # positive approved entries minus reversals
    lowest_lot: int  # the smallest points_remaining (negative is wrong)


def disagreements(session: Session, shop_id: str | None = None) -> list[Disagreement]:
    """Customers (of one shop, or of every shop) for whom balance = approved entries = open lots,
    lifetime = earned points, or "nothing negative" does not hold; by shop, then customer id."""
    e = EarningEntry
    approved = e.status == EntryStatus.APPROVED.value
    sums = select(
        e.customer_id,
        func.sum(case((approved, e.points), else_=0)).label("approved"),
        # Over every entry, not only approved ones: a pending or rejected entry holding points is wrong too.
        func.sum(e.points_remaining).label("lots"),
        func.sum(case((and_(approved, or_(e.points > 0, e.action.not_in(SPENDING))), e.points), else_=0))
        .label("earned"),
        func.min(e.points_remaining).label("lowest"),
    ).group_by(e.customer_id)
    if shop_id is not None:
        sums = sums.where(e.shop_id == shop_id)
    totals = sums.subquery()
    approved_points = func.coalesce(totals.c.approved, 0)
    lots = func.coalesce(totals.c.lots, 0)
    earned = func.coalesce(totals.c.earned, 0)
    lowest = func.coalesce(totals.c.lowest, 0)
    c = Customer
    query = (
        select(c.shop_id, c.id, c.current_points, c.lifetime_points, approved_points, lots, earned, lowest)
        .outerjoin(totals, totals.c.customer_id == c.id)
        .where(or_(c.current_points != approved_points, c.current_points != lots, c.lifetime_points != earned,
                   c.current_points < 0, c.lifetime_points < 0, lowest < 0))
        .order_by(c.shop_id, c.id)
    )
    if shop_id is not None:
        query = query.where(c.shop_id == shop_id)
    # int(): PostgreSQL sums a BIGINT column as NUMERIC.
    return [Disagreement(*row[:2], *(int(value) for value in row[2:])) for row in session.execute(query)]
