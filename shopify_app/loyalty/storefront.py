"""What a shopper sees of the program: their balances, tier progress, ways to earn, history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.awarding import rule_dedupe_key
from shopify_app.models import Customer, EarningEntry, EarningRule, EntryStatus, VipTier

MAX_PAGE_SIZE = 50


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


@dataclass(frozen=True)
class WayToEarn:
    rule: EarningRule
    # The status of this customer's entry for the rule; None when not done or anonymous.
    entry_status: str | None


@dataclass(frozen=True)
class HistoryPage:
    entries: list[EarningEntry]
    total: int
    page: int
    per_page: int


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


def vip_tiers(session: Session, shop_id: str) -> list[VipTier]:
    return list(session.scalars(select(VipTier).where(VipTier.shop_id == shop_id).order_by(VipTier.points_required)))


def ways_to_earn(session: Session, shop_id: str, customer: Customer | None) -> list[WayToEarn]:
    """The shop's active rules, each with the customer's completion state when one is known."""
    rules = list(
        session.scalars(
            select(EarningRule)
            .where(EarningRule.shop_id == shop_id, EarningRule.is_active.is_(True))
            .order_by(EarningRule.created_at, EarningRule.id)
        )
    )
    statuses: dict[str, str] = {}
    if customer is not None and rules:
        statuses = {
            rule_id: status
            for rule_id, status in session.execute(
                select(EarningEntry.earning_rule_id, EarningEntry.status).where(
                    EarningEntry.customer_id == customer.id,
                    EarningEntry.dedupe_key.in_([rule_dedupe_key(rule.id) for rule in rules]),
                )
            )
            if rule_id is not None
        }
    return [WayToEarn(rule=rule, entry_status=statuses.get(rule.id)) for rule in rules]


def history(session: Session, customer: Customer, *, page: int, per_page: int) -> HistoryPage:
    """One page of the customer's ledger, newest first."""
    per_page = min(max(per_page, 1), MAX_PAGE_SIZE)
    page = max(page, 1)
    total = session.scalar(select(func.count()).where(EarningEntry.customer_id == customer.id)) or 0
    entries = session.scalars(
        select(EarningEntry)
        .where(EarningEntry.customer_id == customer.id)
        .order_by(EarningEntry.created_at.desc(), EarningEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return HistoryPage(entries=list(entries), total=total, page=page, per_page=per_page)
