"""A shop's customer as the loyalty program sees them: balances, tier, exclusion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    ForeignKeyConstraint,
    FromClause,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopify_app.db import Base, Points
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed, Timestamps
from shopify_app.models.vip_tier import VipTier


def oldest_first(customers: FromClause) -> tuple[ColumnElement[Any], ...]:
    """The order that picks which of the customers sharing an email the email names: the oldest, then
    the lowest id, so every lookup (one, many, the award's statement) picks the same one."""
    return customers.c.created_at, customers.c.id


def loyalty_status(is_excluded: bool) -> str:
    """What the storefront, the API and the sync call a customer's standing in the program."""
    return "excluded" if is_excluded else "member"


class Customer(ShopKeyed, Timestamps, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_customer_id"),
        # A tier is deleted only once its members are moved off it (loyalty.program.tiers).
        ForeignKeyConstraint(["vip_tier_id", "shop_id"], ["vip_tiers.id", "vip_tiers.shop_id"]),
        Index("ix_customers_shop_id_email_normalized", "shop_id", "email_normalized"),
        # The admin lists a shop's customers newest first, id breaking ties, one page at a time.
        Index("ix_customers_shop_id_created_at_id", "shop_id", "created_at", "id"),
        # Nothing is ever negative: postings floor every debit, and the database refuses the rest.
        CheckConstraint("current_points >= 0 AND lifetime_points >= 0 AND redeemed_points >= 0",
                        name="points_not_negative"),
        # The API sorts by each balance; a page's ids come from these indexes alone, however deep.
        Index("ix_customers_shop_id_current_points_id", "shop_id", "current_points", "id"),
        Index("ix_customers_shop_id_lifetime_points_id", "shop_id", "lifetime_points", "id"),
        Index("ix_customers_shop_id_redeemed_points_id", "shop_id", "redeemed_points", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cus"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    shopify_customer_id: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    email_normalized: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    is_excluded: Mapped[bool] = mapped_column(default=False)
    current_points: Mapped[Points] = mapped_column(default=0)
    lifetime_points: Mapped[Points] = mapped_column(default=0)
    redeemed_points: Mapped[Points] = mapped_column(default=0)
    vip_tier_id: Mapped[str | None] = mapped_column(String(32))
    # loyalty.members.birthdays: the year is NO_YEAR when the member did not give it.
    date_of_birth: Mapped[dt.date | None]
    # When the member last changed a date of birth they had set (the first setting is no change).
    date_of_birth_changed_at: Mapped[dt.datetime | None]
    shopify_created_at: Mapped[dt.datetime | None]
    # Bumped with every change that is synced out; see CustomerSyncState.
    sync_version: Mapped[int] = mapped_column(default=0)

    vip_tier: Mapped[VipTier | None] = relationship(
        primaryjoin="and_(foreign(Customer.vip_tier_id) == VipTier.id, Customer.shop_id == VipTier.shop_id)")

    @property
    def loyalty_status(self) -> str:
        return loyalty_status(self.is_excluded)
