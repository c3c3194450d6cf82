"""Storefront resources: the shopper's summary (the customer metafield's fields), rules, tiers, rewards."""

from __future__ import annotations

from typing import Any

from shopify_app.clock import isoformat_z
from shopify_app.loyalty.earning.awards import WayToEarn
from shopify_app.loyalty.members.birthdays import birthday_of
from shopify_app.loyalty.members.summary import CustomerSummary, TierSummary
from shopify_app.loyalty.program.rules import is_self_reported
from shopify_app.models import Customer, Pricing, Reward, RewardType, VipTier
from shopify_app.web.jsonapi import resource
from shopify_app.web.serializers import reward_attributes


def customer_attributes(summary: CustomerSummary) -> dict[str, Any]:
    customer = summary.member
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


def tier_attributes(tier: VipTier | TierSummary) -> dict[str, Any]:
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


def reward(item: Reward, customer: Customer | None) -> dict[str, Any]:
    """A reward with its tier and product; for a logged-in shopper whether they can afford it and
    whether their tier locks it (None for an anonymous one)."""
    attributes = reward_attributes(item)
    attributes["vip_tier"] = {"id": item.vip_tier.id, "name": item.vip_tier.name} if item.vip_tier else None
    attributes["product"] = ({"title": item.product_title, "image": item.product_image_url,
                              "handle": item.product_handle} if item.product_gid else None)
    cheapest = item.min_points if item.pricing == Pricing.PER_POINT.value and item.min_points else item.points_cost
    attributes["affordable"] = customer.current_points >= cheapest if customer else None
    attributes["locked"] = (item.reward_type == RewardType.TIER.value and customer.vip_tier_id != item.vip_tier_id
                            if customer else None)
    return resource("reward", item.id, attributes)
