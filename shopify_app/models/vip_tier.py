"""VIP tiers: reached by lifetime points, they multiply what a member earns."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.db import Base, Points
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed, Timestamps


class VipTier(ShopKeyed, Timestamps, Base):
    __tablename__ = "vip_tiers"
    __table_args__ = (UniqueConstraint("shop_id", "points_required"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("tier"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    points_required: Mapped[Points]
    points_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1"))
    badge_color: Mapped[str] = mapped_column(String(16), default="#8c9196")
