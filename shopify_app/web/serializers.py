"""Domain objects as JSON:API resources."""

from __future__ import annotations

from typing import Any

from flask import Response

from shopify_app.clock import isoformat_z
from shopify_app.models import EarningEntry, RedemptionState, Reward, RewardRedemption
from shopify_app.web.jsonapi import document


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


def reward_history_entry(redemption: RewardRedemption, status: int = 200) -> Response:
    return document("reward_history_entry", redemption.id, reward_history_entry_attributes(redemption), status)


def reward_history_entry_attributes(redemption: RewardRedemption) -> dict[str, Any]:
    reward = redemption.reward
    return {
        "reward_id": reward.id,
        "reward_name": reward.name,
        "reward_discount_type": reward.discount_type,
        "points_spent": redemption.points_spent,
        "discount_amount": float(redemption.discount_amount),
        "discount_code": redemption.discount_code,
        "status": redemption.state,
        "is_refunded": redemption.state == RedemptionState.REFUNDED.value,
        # Both name when the code was used on an order, as Mage's examples do.
        "discount_code_redeemed_at": isoformat_z(redemption.used_at),
        "redeemed_at": isoformat_z(redemption.used_at),
        "expires_at": isoformat_z(redemption.expires_at),
        "created_at": isoformat_z(redemption.created_at),
        "updated_at": isoformat_z(redemption.updated_at),
    }


def reward_attributes(reward: Reward) -> dict[str, Any]:
    """A reward's public fields, as the API and the storefront show them."""
    return {
        "name": reward.name,
        "description": reward.description,
        "discount_type": reward.discount_type,
        "reward_type": reward.reward_type,
        "points_cost": reward.points_cost,
        "discount_amount": float(reward.discount_amount),
        "minimum_spend": float(reward.minimum_spend) if reward.minimum_spend is not None else None,
        "is_active": reward.is_active,
        "max_redemptions": reward.max_redemptions,
        "expiry_days": reward.expiry_days,
        "pricing": reward.pricing,
        "points_per_unit": reward.points_per_unit,
        "min_points": reward.min_points,
        "max_points": reward.max_points,
        "created_at": isoformat_z(reward.created_at),
        "updated_at": isoformat_z(reward.updated_at),
    }
