"""A member's summary: balances, points waiting for approval, the next tier and the next expiry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.models import Customer, EarningEntry, EntryStatus, VipTier


@dataclass(frozen=True)
class CustomerSummary:
    customer: Customer
    pending_points: int
    next_tier: VipTier | None
    points_expire_at: dt.datetime | None

    @property
    def points_to_next_tier(self) -> int | None:
        if self.next_tier is None:
            return None
        return max(self.next_tier.points_required - self.customer.lifetime_points, 0)


def summarize(session: Session, customer: Customer, *, now: dt.datetime | None = None) -> CustomerSummary:
    """Balances plus what the ledger knows: points waiting for approval and the next expiry."""
    now = now or utcnow()
    pending, next_expiry = session.execute(
        select(
            func.coalesce(func.sum(case((EarningEntry.status == EntryStatus.PENDING.value, EarningEntry.points))), 0),
            func.min(
                case(
                    (
                        and_(
                            EarningEntry.status == EntryStatus.APPROVED.value,
                            EarningEntry.points_remaining > 0,
                            EarningEntry.points_expiry_at > now,
                        ),
                        EarningEntry.points_expiry_at,
                    )
                )
            ),
        ).where(EarningEntry.customer_id == customer.id)
    ).one()
    return CustomerSummary(
        customer=customer,
        pending_points=int(pending),
        next_tier=next_tier(session, customer),
        points_expire_at=next_expiry,
    )


def next_tier(session: Session, customer: Customer) -> VipTier | None:
    """The lowest tier of the shop that the customer's lifetime points do not reach yet."""
    return session.scalars(
        select(VipTier)
        .where(VipTier.shop_id == customer.shop_id, VipTier.points_required > customer.lifetime_points)
        .order_by(VipTier.points_required)
        .limit(1)
    ).first()
