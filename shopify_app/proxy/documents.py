"""Storefront resources: the shopper's summary (the customer metafield's fields), rules, tiers."""

from __future__ import annotations

from typing import Any

from shopify_app.clock import isoformat_z
from shopify_app.loyalty.earning.awards import WayToEarn
from shopify_app.loyalty.members.birthdays import birthday_of
from shopify_app.loyalty.members.summary import CustomerSummary
from shopify_app.loyalty.program.rules import is_self_reported
from shopify_app.models import VipTier
from shopify_app.web.jsonapi import resource


def customer_attributes(summary: CustomerSummary) -> dict[str, Any]:
    customer = summary.customer
    birthday = birthday_of(customer)
    return {
        "points_balance": customer.current_points,
        "lifetime_points": customer.lifetime_points,
        "pending_points": summary.pending_points,
        "vip_tier": tier_attributes(summary.current_tier) if summary.current_tier else None,
        "next_tier": tier_attributes(summary.next_tier) if summary.next_tier else None,
        "points_to_next_tier": summary.points_to_next_tier,
        "status": customer.loyalty_status,
        "points_expire_at": isoformat_z(summary.points_expire_at),
        "points_expiring": summary.points_expiring,
        "date_of_birth": birthday.isoformat() if birthday else None,
    }


def tier_attributes(tier: VipTier) -> dict[str, Any]:
    return {
        "id": tier.id,
        "name": tier.name,
        "points_required": tier.points_required,
        "points_multiplier": float(tier.points_multiplier),
        "badge_color": tier.badge_color,
    }


def vip_tier(tier: VipTier) -> dict[str, Any]:
    return resource("vip_tier", tier.id, tier_attributes(tier))


def way_to_earn(way: WayToEarn, *, logged_in: bool) -> dict[str, Any]:
    rule = way.rule
    completion = (way.entry_status or "not_started") if logged_in else None
    return resource(
        "earning_rule",
        rule.id,
        {
            "name": rule.customer_facing_label or rule.name,
            "description": rule.description,
            "category": rule.category,
            "action": rule.action,
            "points_to_give": rule.points_to_give,
            "approval_time": rule.approval_time,
            "call_to_action_url": rule.call_to_action_url,
            "claimable": is_self_reported(rule.action),
            "completion": completion,
        },
    )
