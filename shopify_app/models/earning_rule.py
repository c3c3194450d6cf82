"""Ways to earn: what a customer does and how many points it gives."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.db import Base, Points
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed, Timestamps


class RuleCategory(str, enum.Enum):
    PURCHASE = "purchase"
    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    SOCIAL = "social"
    ENGAGEMENT = "engagement"
    REFERRAL = "referral"


# Only these may be awarded through the API or claimed on the storefront;
# the others are driven by Shopify events and schedules.
AWARDABLE_CATEGORIES = frozenset({RuleCategory.SOCIAL.value, RuleCategory.ENGAGEMENT.value})

_CATEGORY_VALUES = ", ".join(f"'{c.value}'" for c in RuleCategory)


class EarningRule(ShopKeyed, Timestamps, Base):
    __tablename__ = "earning_rules"
    __table_args__ = (
        CheckConstraint(f"category IN ({_CATEGORY_VALUES})", name="category"),
        CheckConstraint("points_to_give >= 0", name="points_to_give"),
        CheckConstraint("approval_time >= 0", name="approval_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rule"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    points_to_give: Mapped[Points]
    is_active: Mapped[bool] = mapped_column(default=True)
    approval_time: Mapped[int] = mapped_column(default=0, doc="days before points are approved")
    customer_facing_label: Mapped[str | None] = mapped_column(String(255))
    call_to_action_url: Mapped[str | None] = mapped_column(String(2048))
    # Purchase rules only (loyalty.earning.exclusions): what earns nothing. Gift cards never earn.
    excluded_product_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    excluded_collection_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The excluded collections' products, read through the Admin API when the rule is saved and daily.
    collection_product_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    excluded_customer_tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exclude_b2b: Mapped[bool] = mapped_column(default=False)
