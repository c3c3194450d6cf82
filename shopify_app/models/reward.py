"""Rewards a shop offers for points, and each redemption of one: a Shopify discount code."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopify_app.db import Base, Points
from shopify_app.ids import new_id
from shopify_app.models.customer import Customer
from shopify_app.models.mixins import ShopKeyed, Timestamps
from shopify_app.models.vip_tier import VipTier


class DiscountType(str, enum.Enum):
    FIXED_AMOUNT = "fixed_amount"
    PERCENTAGE = "percentage"
    FREE_SHIPPING = "free_shipping"
    FREE_PRODUCT = "free_product"


class RewardType(str, enum.Enum):
    DISCOUNT = "discount"
    TIER = "tier"  # only for members of ``vip_tier_id``


class Pricing(str, enum.Enum):
    FIXED = "fixed"  # ``points_cost`` buys ``discount_amount``
    PER_POINT = "per_point"  # ``points_per_unit`` points buy 1.00 off; the shopper chooses how many


class RedemptionState(str, enum.Enum):
    CREATING = "creating"  # points spent, code fixed, not yet confirmed by Shopify
    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"
    REFUNDED = "refunded"  # points given back; the code was deleted or never created


def _values(kind: type[enum.Enum]) -> str:
    return ", ".join(repr(member.value) for member in kind)


class Reward(ShopKeyed, Timestamps, Base):
    """Deleting is soft (``deleted_at``): codes already issued keep working and keep their reward."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint(f"discount_type IN ({_values(DiscountType)})", name="discount_type"),
        CheckConstraint(f"reward_type IN ({_values(RewardType)})", name="reward_type"),
        CheckConstraint(f"pricing IN ({_values(Pricing)})", name="pricing"),
        Index("ix_rewards_shop_id_points_cost", "shop_id", "points_cost"),
        # A tier is deleted only once its rewards are moved off it (loyalty.program.tiers).
        ForeignKeyConstraint(["vip_tier_id", "shop_id"], ["vip_tiers.id", "vip_tiers.shop_id"]),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rwd"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    discount_type: Mapped[str] = mapped_column(String(16))
    reward_type: Mapped[str] = mapped_column(String(16), default=RewardType.DISCOUNT.value)
    vip_tier_id: Mapped[str | None] = mapped_column(String(32))
    points_cost: Mapped[Points] = mapped_column(default=0)
    # Shop currency for fixed amounts, 0-100 for percentages; unused for free shipping and products.
    discount_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    minimum_spend: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    is_active: Mapped[bool] = mapped_column(default=True)
    max_redemptions: Mapped[int | None]  # per customer
    expiry_days: Mapped[int | None]  # how long a code is valid
    product_gid: Mapped[str | None] = mapped_column(String(128))
    variant_gid: Mapped[str | None] = mapped_column(String(128))
    # The free product as the storefront shows it, taken from the admin's product picker.
    product_title: Mapped[str | None] = mapped_column(String(255))
    product_handle: Mapped[str | None] = mapped_column(String(255))
    product_image_url: Mapped[str | None] = mapped_column(Text)
    pricing: Mapped[str] = mapped_column(String(16), default=Pricing.FIXED.value)
    points_per_unit: Mapped[int | None]
    min_points: Mapped[int | None]
    max_points: Mapped[int | None]
    deleted_at: Mapped[dt.datetime | None]

    vip_tier: Mapped[VipTier | None] = relationship(
        primaryjoin="and_(foreign(Reward.vip_tier_id) == VipTier.id, Reward.shop_id == VipTier.shop_id)")


class RewardRedemption(ShopKeyed, Timestamps, Base):
    """One code per row, unique in its shop; ``entry_id`` is the ledger's spend, ``refund_entry_id``
    the points given back."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (
        UniqueConstraint("shop_id", "discount_code"),
        CheckConstraint(f"state IN ({_values(RedemptionState)})", name="state"),
        Index("ix_reward_redemptions_customer_id_reward_id", "customer_id", "reward_id"),
        # The sweep's redemptions left creating, and the daily job's codes past their end.
        Index("ix_reward_redemptions_state_created_at", "state", "created_at"),
        Index("ix_reward_redemptions_state_expires_at", "state", "expires_at"),
        Index("ix_reward_redemptions_code_in_doubt", "code_in_doubt"),
        ForeignKeyConstraint(["customer_id", "shop_id"], ["customers.id", "customers.shop_id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["reward_id", "shop_id"], ["rewards.id", "rewards.shop_id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["entry_id", "shop_id"], ["earning_entries.id", "earning_entries.shop_id"],
                             ondelete="CASCADE"),
        # Its refund is the customer's entry too, gone only with them.
        ForeignKeyConstraint(["refund_entry_id", "shop_id"], ["earning_entries.id", "earning_entries.shop_id"]),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cr"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    reward_id: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str] = mapped_column(String(32))
    refund_entry_id: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=RedemptionState.CREATING.value)
    points_spent: Mapped[Points]
    discount_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    discount_code: Mapped[str] = mapped_column(String(64))
    shopify_discount_id: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]
    used_order_id: Mapped[str | None] = mapped_column(String(32))
    refunded_at: Mapped[dt.datetime | None]
    # Refunded after a create request whose outcome is unknown (Shopify timed out or failed): the
    # sweep asks Shopify for the code and deletes it if it was made after all.
    code_in_doubt: Mapped[bool] = mapped_column(default=False)

    reward: Mapped[Reward] = relationship(primaryjoin="and_(foreign(RewardRedemption.reward_id) == Reward.id, "
                                                      "RewardRedemption.shop_id == Reward.shop_id)")
    customer: Mapped[Customer] = relationship(primaryjoin="and_(foreign(RewardRedemption.customer_id) == Customer.id, "
                                                          "RewardRedemption.shop_id == Customer.shop_id)")
