"""VIP tiers: which tier lifetime points reach."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnExpressionArgument, ScalarSelect, select

from shopify_app.models import Customer, VipTier


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
