"""Domain objects as JSON:API resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response

from shopify_app.clock import isoformat_z
from shopify_app.models import Customer, EarningEntry, EarningRule, VipTier
from shopify_app.web.jsonapi import document, resource


def earning_history_entry(entry: EarningEntry, status: int = 200) -> Response:
    return document("earning_history_entry", entry.id, earning_history_entry_attributes(entry), status)


def earning_history_entry_attributes(entry: EarningEntry) -> dict[str, Any]:
    return {
        "earning_rule_id": entry.earning_rule_id,
        "action": entry.action,
        "points": entry.points,
        "base_points": entry.base_points,
        "points_multiplier": float(entry.points_multiplier),
        "status": entry.status,
        "points_given_at": isoformat_z(entry.points_given_at),
        "points_due_at": isoformat_z(entry.points_due_at),
        "points_expiry_at": isoformat_z(entry.points_expiry_at),
        "created_at": isoformat_z(entry.created_at),
        "updated_at": isoformat_z(entry.updated_at),
    }


def history_entry(entry: EarningEntry) -> dict[str, Any]:
    """An entry as the earning-history list gives it: the award's fields and the ledger's own."""
    attributes = earning_history_entry_attributes(entry)
    attributes.update(order_id=entry.order_id, order_number=entry.order_number,
                      manual_intervention=entry.manual_intervention, note=entry.note)
    return resource("earning_history_entry", entry.id, attributes)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def vip_tier_attributes(tier: VipTier) -> dict[str, Any]:
    return {
        "name": tier.name,
        "points_required": tier.points_required,
        "points_multiplier": float(tier.points_multiplier),
        "badge_image_url": None,
        "badge_color": tier.badge_color,
    }


def vip_tier(tier: VipTier) -> dict[str, Any]:
    attributes = {"name": tier.name, "description": None, **vip_tier_attributes(tier),
                  "created_at": isoformat_z(tier.created_at), "updated_at": isoformat_z(tier.updated_at)}
    return resource("vip_tier", tier.id, attributes)


def customer(row: Customer, points_expire_at: dt.datetime | None, *, with_vip: bool = True) -> dict[str, Any]:
    """The customer object; its id is the Shopify customer id. No referrals yet: their fields are null."""
    tier = row.vip_tier if with_vip else None
    return resource("customer", row.shopify_customer_id, {
        "shopify_customer_id": row.shopify_customer_id,
        "email": row.email,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "current_points": row.current_points,
        "lifetime_points": row.lifetime_points,
        "redeemed_points": row.redeemed_points,
        "loyalty_status": row.loyalty_status,
        "date_of_birth": _date(row.date_of_birth),
        "referral_url": None,
        "referral_code": None,
        "vip_tier": {"id": tier.id, **vip_tier_attributes(tier)} if tier is not None else None,
        "points_expire_at": isoformat_z(points_expire_at),
        "created_at": isoformat_z(row.created_at),
        "updated_at": isoformat_z(row.updated_at),
    })


def birthday(row: Customer) -> dict[str, Any]:
    return resource("customer_birthday", row.shopify_customer_id, {
        "shopify_customer_id": row.shopify_customer_id, "email": row.email,
        "date_of_birth": _date(row.date_of_birth),
    })


def anniversary(row: Customer) -> dict[str, Any]:
    """The anniversary is the date the customer's Shopify account was created (UTC)."""
    created = row.shopify_created_at
    return resource("customer_anniversary", row.shopify_customer_id, {
        "shopify_customer_id": row.shopify_customer_id, "email": row.email,
        "anniversary_date": _date(created.date()) if created is not None else None,
    })


def earning_rule(rule: EarningRule) -> dict[str, Any]:
    return resource("earning_rule", rule.id, {
        "name": rule.name,
        "description": rule.description,
        "action": rule.action,
        "category": rule.category,
        "is_active": rule.is_active,
        "points_to_give": rule.points_to_give,
        "customer_facing_label": rule.customer_facing_label,
        "call_to_action_url": rule.call_to_action_url,
        "created_at": isoformat_z(rule.created_at),
        "updated_at": isoformat_z(rule.updated_at),
    })
