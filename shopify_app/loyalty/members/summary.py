"""A member's summary, the one read model of the storefront, the metafield and vendor sync and the admin:
balances, points waiting for approval, the current and next tier, the next expiry and what expires then."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.program.tiers import tiers
from shopify_app.models import Customer, EarningEntry, EntryStatus, VipTier


@dataclass(frozen=True)
class CustomerSummary:
    customer: Customer
    pending_points: int
    next_tier: VipTier | None
    points_expire_at: dt.datetime | None  # the next time unspent points expire
    points_expiring: int  # how many expire then

    @property
    def current_tier(self) -> VipTier | None:
        return self.customer.vip_tier

    @property
    def points_to_next_tier(self) -> int | None:
        if self.next_tier is None:
            return None
        return max(self.next_tier.points_required - self.customer.lifetime_points, 0)


def expiring_lots(now: dt.datetime) -> ColumnElement[bool]:
    """Lots that still hold points and have not expired yet: the only ones a next expiry is read from."""
    return and_(EarningEntry.points_remaining > 0, EarningEntry.points_expiry_at > now)


def summarize(session: Session, customer: Customer, *, now: dt.datetime | None = None) -> CustomerSummary:
    """The customer's summary; pending points, the next expiry and its amount in one statement."""
    expiring = expiring_lots(now or utcnow())
    mine = EarningEntry.customer_id == customer.id
    next_expiry = select(func.min(EarningEntry.points_expiry_at)).where(mine, expiring).scalar_subquery()
    pending, expire_at, expiring_points = session.execute(
        select(
            func.coalesce(func.sum(case((EarningEntry.status == EntryStatus.PENDING.value, EarningEntry.points),
                                        else_=0)), 0),
            next_expiry,
            func.coalesce(func.sum(case((and_(expiring, EarningEntry.points_expiry_at == next_expiry),
                                         EarningEntry.points_remaining), else_=0)), 0),
        ).where(mine)
    ).one()
    return CustomerSummary(
        customer=customer,
        pending_points=int(pending),
        next_tier=next_tier(session, customer),
        points_expire_at=expire_at,
        points_expiring=int(expiring_points),
    )


def next_tier(session: Session, customer: Customer) -> VipTier | None:
    """The lowest tier of the shop that the customer's lifetime points do not reach yet."""
    return next((tier for tier in tiers(session, customer.shop_id)
                 if tier.points_required > customer.lifetime_points), None)


def next_expiries(session: Session, customers: list[Customer], *,
                  now: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """The summaries' next expiry of a page of customers in one statement, by customer id (a customer
    without expiring points is absent)."""
    if not customers:
        return {}
    rows = session.execute(
        select(EarningEntry.customer_id, func.min(EarningEntry.points_expiry_at))
        .where(EarningEntry.customer_id.in_([c.id for c in customers]), expiring_lots(now or utcnow()))
        .group_by(EarningEntry.customer_id)
    )
    return {customer_id: expire_at for customer_id, expire_at in rows}
