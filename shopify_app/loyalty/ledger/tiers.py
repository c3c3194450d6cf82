"""VIP tiers: which tier lifetime points reach, and the multiplier it gives."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnExpressionArgument, ScalarSelect, select

from shopify_app.models import Customer, VipTier

NO_TIER_MULTIPLIER = Decimal("1")


def multiplier_of(customer: Customer) -> Decimal:
    return customer.vip_tier.points_multiplier if customer.vip_tier else NO_TIER_MULTIPLIER


def multiply(base_points: int, multiplier: Decimal) -> int:
    """base x multiplier, rounded to the nearest integer with halves going up."""
    return int((Decimal(base_points) * multiplier).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tier_for_lifetime(lifetime_points: ColumnExpressionArgument[int] | int) -> ScalarSelect[Any]:
    """SQL for the id of the highest tier of the customer's shop that ``lifetime_points`` reach.

    Used inside UPDATE statements so the tier moves atomically with the balance."""
    return (
        select(VipTier.id)
        .where(VipTier.shop_id == Customer.shop_id, VipTier.points_required <= lifetime_points)
        .order_by(VipTier.points_required.desc())
        .limit(1)
        .scalar_subquery()
    )
