"""Members with their balances, and the ledger, as CSV rows streamed from the database a batch at a
time, so 100,000 members are written without holding them all in memory."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from shopify_app.clock import isoformat_z
from shopify_app.loyalty.members.birthdays import Birthday
from shopify_app.models import Customer, EarningEntry, VipTier

BATCH = 1000
MEMBER_COLUMNS = ("shopify_customer_id", "email", "first_name", "last_name", "status", "points_balance",
                  "lifetime_points", "redeemed_points", "vip_tier", "date_of_birth", "enrolled_at")
LEDGER_COLUMNS = ("entry_id", "created_at", "shopify_customer_id", "action", "source", "status", "points",
                  "order_id", "order_number", "points_expiry_at")


def member_rows(session: Session, shop_id: str) -> Iterator[tuple[object, ...]]:
    """The header, then one row per member in enrolment order."""
    yield MEMBER_COLUMNS
    rows = session.execute(
        select(Customer.shopify_customer_id, Customer.email, Customer.first_name, Customer.last_name,
               Customer.is_excluded, Customer.current_points, Customer.lifetime_points, Customer.redeemed_points,
               VipTier.name, Customer.date_of_birth, Customer.created_at)
        .outerjoin(VipTier, and_(VipTier.shop_id == Customer.shop_id, VipTier.id == Customer.vip_tier_id))
        .where(Customer.shop_id == shop_id)
        .order_by(Customer.created_at, Customer.id).execution_options(yield_per=BATCH))
    for (shopify_id, email, first, last, excluded, balance, lifetime, redeemed, tier, born, enrolled) in rows:
        yield (shopify_id, email, first, last, "excluded" if excluded else "member", balance, lifetime, redeemed,
               tier, Birthday.stored(born).isoformat() if born else None, isoformat_z(enrolled))


def ledger_rows(session: Session, shop_id: str) -> Iterator[tuple[object, ...]]:
    """The header, then every entry of the shop, oldest first."""
    yield LEDGER_COLUMNS
    rows = session.execute(
        select(EarningEntry.id, EarningEntry.created_at, Customer.shopify_customer_id, EarningEntry.action,
               EarningEntry.source, EarningEntry.status, EarningEntry.points, EarningEntry.order_id,
               EarningEntry.order_number, EarningEntry.points_expiry_at)
        .join(Customer, and_(Customer.shop_id == EarningEntry.shop_id, Customer.id == EarningEntry.customer_id))
        .where(EarningEntry.shop_id == shop_id)
        .order_by(EarningEntry.created_at, EarningEntry.id).execution_options(yield_per=BATCH))
    for (entry_id, created, shopify_id, action, source, status, points, order_id, number, expiry) in rows:
        yield (entry_id, isoformat_z(created), shopify_id, action, source, status, points, order_id, number,
               isoformat_z(expiry))
