"""The ledger audit: customers whose balances disagree with their entries, found in one grouped query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from shopify_app.models import EARNING_SOURCES, Customer, EarningEntry, EntrySource, EntryStatus


@dataclass(frozen=True)
class Disagreement:
    """One customer's stored balances beside what their entries add up to."""

    shop_id: str
    customer_id: str
    current_points: int
    lifetime_points: int
    redeemed_points: int
    approved_points: int  # sum of approved entries' points
    open_lot_points: int  # sum of points_remaining
    earned_points: int  # positive approved entries of earning sources, less what reversals took back
    redemption_points: int  # redemptions less their refunds
    lowest_lot: int  # the smallest points_remaining (negative is wrong)


def disagreements(session: Session, shop_id: str | None = None) -> list[Disagreement]:
    """Customers (of one shop, or of every shop) for whom balance = approved entries = open lots,
    lifetime = earned points, redeemed = redemptions, or "nothing negative" does not hold; by
    shop, then customer id."""
    e = EarningEntry
    approved = e.status == EntryStatus.APPROVED.value

    def approved_sum(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((and_(approved, *conditions), e.points), else_=0))

    sums = select(
        e.shop_id,
        e.customer_id,
        approved_sum().label("approved"),
        # Over every entry, not only approved ones: a pending or rejected entry holding points is wrong too.
        func.sum(e.points_remaining).label("lots"),
        # A reversal takes its base_points off lifetime, even where the balance held fewer (postings.reverse).
        # A merchant's addition may leave lifetime alone: its base_points say what lifetime gained.
        func.sum(case((and_(approved, e.points > 0, e.source == EntrySource.MANUAL.value), e.base_points),
                      (and_(approved, e.points > 0, e.source.in_(EARNING_SOURCES)), e.points),
                      (and_(approved, e.source == EntrySource.REVERSAL.value), e.base_points), else_=0))
        .label("earned"),
        (-approved_sum(e.source.in_([EntrySource.REDEMPTION.value, EntrySource.REDEMPTION_REFUND.value])))
        .label("redeemed"),
        func.min(e.points_remaining).label("lowest"),
    ).group_by(e.shop_id, e.customer_id)
    if shop_id is not None:
        sums = sums.where(e.shop_id == shop_id)
    totals = sums.subquery()
    approved_points, lots, earned, redeemed, lowest = (
        func.coalesce(column, 0)
        for column in (totals.c.approved, totals.c.lots, totals.c.earned, totals.c.redeemed, totals.c.lowest)
    )
    c = Customer
    query = (
        select(c.shop_id, c.id, c.current_points, c.lifetime_points, c.redeemed_points, approved_points, lots,
               earned, redeemed, lowest)
        .outerjoin(totals, and_(totals.c.shop_id == c.shop_id, totals.c.customer_id == c.id))
        .where(or_(c.current_points != approved_points, c.current_points != lots, c.lifetime_points != earned,
                   c.redeemed_points != redeemed, c.current_points < 0, c.lifetime_points < 0,
                   c.redeemed_points < 0, lowest < 0))
        .order_by(c.shop_id, c.id)
    )
    if shop_id is not None:
        query = query.where(c.shop_id == shop_id)
    # int(): PostgreSQL sums a BIGINT column as NUMERIC.
    return [Disagreement(*row[:2], *(int(value) for value in row[2:])) for row in session.execute(query)]


def customers_audited(session: Session, shop_id: str | None = None) -> int:
    """How many customers the audit looked at (for its "all N customers agree")."""
    query = select(func.count()).select_from(Customer)
    if shop_id is not None:
        query = query.where(Customer.shop_id == shop_id)
    return int(session.scalar(query) or 0)
