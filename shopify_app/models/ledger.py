"""The points ledger: one earning entry per award, order, adjustment or anniversary."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopify_app.db import Base, Points
from shopify_app.ids import new_id
from shopify_app.models.customer import Customer
from shopify_app.models.earning_rule import EarningRule
from shopify_app.models.mixins import ShopKeyed, Timestamps


class EntryStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EntrySource(str, enum.Enum):
    """Where an entry's points came from or went: every entry names one."""

    RULE_AWARD = "rule_award"  # a social, engagement or referral rule
    PURCHASE = "purchase"
    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    MANUAL = "manual"  # the merchant's adjustment, either way
    # Approvals and rejections decide a pending entry in place (its status and dates), so no
    # entry carries them today; they are allowed for a decision that comes to need an entry.
    APPROVAL = "approval"
    REJECTION = "rejection"
    REVERSAL = "reversal"  # a refund or cancellation taking earned points back
    EXPIRY = "expiry"  # one per expired lot
    OPENING_BALANCE = "opening_balance"  # balances brought in (demo data, imports)
    REDEMPTION = "redemption"
    REDEMPTION_REFUND = "redemption_refund"


# Sources whose positive entries count towards lifetime points; reversals take them back.
EARNING_SOURCES = frozenset({EntrySource.RULE_AWARD.value, EntrySource.PURCHASE.value, EntrySource.SIGNUP.value,
                             EntrySource.BIRTHDAY.value, EntrySource.ANNIVERSARY.value, EntrySource.MANUAL.value,
                             EntrySource.OPENING_BALANCE.value})


class EarningEntry(ShopKeyed, Timestamps, Base):
    """``dedupe_key`` makes each business event count once per customer, enforced by the
    database: ``rule:<id>`` for social and engagement awards (once per customer per rule),
    ``order:<id>:rule:<id>`` for purchases. Manual adjustments leave it NULL."""

    __tablename__ = "earning_entries"
    __table_args__ = (
        UniqueConstraint("customer_id", "dedupe_key", "shop_id"),
        ForeignKeyConstraint(["customer_id", "shop_id"], ["customers.id", "customers.shop_id"], ondelete="CASCADE"),
        # Rules are never deleted but with their shop.
        ForeignKeyConstraint(["earning_rule_id", "shop_id"], ["earning_rules.id", "earning_rules.shop_id"]),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint(f"source IN ({', '.join(repr(s.value) for s in EntrySource)})", name="source"),
        CheckConstraint("points_remaining >= 0", name="points_remaining_not_negative"),
        Index("ix_earning_entries_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_earning_entries_shop_id_status_points_due_at", "shop_id", "status", "points_due_at"),
        # The admin overview sums a shop's entries by each of these dates; on PostgreSQL the
        # included columns let it answer from the index alone.
        Index("ix_earning_entries_shop_id_status_created_at", "shop_id", "status", "created_at",
              postgresql_include=["earning_rule_id", "points"]),
        Index("ix_earning_entries_shop_id_points_given_at", "shop_id", "points_given_at",
              postgresql_include=["status", "points", "source"]),
        Index("ix_earning_entries_shop_id_points_expiry_at", "shop_id", "points_expiry_at",
              postgresql_include=["status", "points_remaining"]),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cer"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    earning_rule_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    base_points: Mapped[Points]
    points_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    points: Mapped[Points]
    # Unspent, unexpired points of this lot; expiry and spending take the oldest lots first.
    points_remaining: Mapped[Points] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))
    points_given_at: Mapped[dt.datetime | None]
    points_due_at: Mapped[dt.datetime | None]
    points_expiry_at: Mapped[dt.datetime | None]
    order_id: Mapped[str | None] = mapped_column(String(32))
    order_number: Mapped[str | None] = mapped_column(String(32))
    manual_intervention: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(
        primaryjoin="and_(foreign(EarningEntry.customer_id) == Customer.id, EarningEntry.shop_id == Customer.shop_id)")
    earning_rule: Mapped[EarningRule | None] = relationship(
        primaryjoin="and_(foreign(EarningEntry.earning_rule_id) == EarningRule.id, "
                    "EarningEntry.shop_id == EarningRule.shop_id)")


class LotAllocation(ShopKeyed, Base):
    """Which lots a debit (spending, expiry, a reversal) took its points from, and how many from
    each, so a refund of that debit can put them back into the same lots."""

    __tablename__ = "lot_allocations"
    __table_args__ = (
        ForeignKeyConstraint(["entry_id", "shop_id"], ["earning_entries.id", "earning_entries.shop_id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["lot_id", "shop_id"], ["earning_entries.id", "earning_entries.shop_id"],
                             ondelete="CASCADE"),
    )
    orm_identity = ("entry_id", "lot_id")

    entry_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    lot_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    points: Mapped[Points]
