"""Domain objects as JSON:API resources, their attributes built by the models of web.resources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Response

from shopify_app.loyalty.members.summary import CustomerSummary
from shopify_app.models import (
    ActivityLogEntry,
    Customer,
    EarningEntry,
    EarningRule,
    RedemptionState,
    Reward,
    RewardRedemption,
    VipTier,
)
from shopify_app.web import resources as r
from shopify_app.web.jsonapi import document, resource, respond


def _resource(model: type[r.Attributes], resource_id: str, source: Any, **extra: Any) -> dict[str, Any]:
    attributes = model.model_validate({**_fields(model, source), **extra}).dump()
    return resource(r.RESOURCE_TYPES[model], resource_id, attributes)


def _fields(model: type[r.Attributes], source: Any) -> dict[str, Any]:
    return {name: getattr(source, name) for name in model.model_fields if hasattr(source, name)}


def earning_history_entry(entry: EarningEntry | Mapping[str, Any], status: int = 200) -> Response:
    """The award's answer, from the entry or the award's row (``awards.awarded``)."""
    if isinstance(entry, Mapping):
        return document("earning_history_entry", entry["id"],
                        r.AwardedEntryAttributes.model_validate(entry).dump(), status)
    return document("earning_history_entry", entry.id, earning_history_entry_attributes(entry), status)


def earning_history_entry_attributes(entry: EarningEntry) -> dict[str, Any]:
    """An entry as the award and the storefront's history give it."""
    return r.AwardedEntryAttributes.model_validate(_fields(r.AwardedEntryAttributes, entry)).dump()


def history_entry(entry: EarningEntry) -> dict[str, Any]:
    return _resource(r.EarningHistoryEntryAttributes, entry.id, entry)


def vip_tier(tier: VipTier, rewards: list[Reward]) -> dict[str, Any]:
    """A tier with its own rewards embedded."""
    embedded = [r.TierRewardAttributes.model_validate(reward) for reward in rewards]
    return _resource(r.VipTierAttributes, tier.id, tier, rewards=embedded)


def customer(row: Customer, points_expire_at: dt.datetime | None, *, with_vip: bool = True) -> dict[str, Any]:
    """The customer object; its id is the Shopify customer id. No referrals yet: their fields are null."""
    tier = r.VipTierSummary.model_validate(row.vip_tier) if with_vip and row.vip_tier is not None else None
    return _resource(r.CustomerAttributes, row.shopify_customer_id, row, vip_tier=tier,
                     points_expire_at=points_expire_at)


def member(summary: CustomerSummary, *, with_vip: bool = True) -> dict[str, Any]:
    """The customer object from the member's summary: what GET /v1/customers/{id} answers."""
    tier = summary.current_tier
    return _resource(r.CustomerAttributes, summary.member.shopify_customer_id, summary.member,
                     vip_tier=r.VipTierSummary.model_validate(tier) if with_vip and tier is not None else None,
                     points_expire_at=summary.points_expire_at)


def birthday(row: Customer) -> dict[str, Any]:
    return _resource(r.CustomerBirthdayAttributes, row.shopify_customer_id, row)


def anniversary(row: Customer) -> dict[str, Any]:
    """The anniversary is the date the customer's Shopify account was created (UTC)."""
    created = row.shopify_created_at
    return _resource(r.CustomerAnniversaryAttributes, row.shopify_customer_id, row,
                     anniversary_date=created.astimezone(dt.UTC).date() if created is not None else None)


def earning_rule(rule: EarningRule) -> dict[str, Any]:
    return _resource(r.EarningRuleAttributes, rule.id, rule)


def points_adjustment(entry: EarningEntry, row: Customer, adjustment: int) -> dict[str, Any]:
    after = row.current_points
    return _resource(r.PointsAdjustmentAttributes, entry.id, row, adjustment=adjustment,
                     points_before=after - entry.points, points_after=after, note=entry.note)


def activity(entry: ActivityLogEntry, shopify_customer_id: str | None) -> dict[str, Any]:
    points = entry.data.get("points")
    return _resource(r.ActivityAttributes, entry.id, entry, occurred_at=entry.created_at,
                     shopify_customer_id=shopify_customer_id, points=points if isinstance(points, int) else None,
                     description=entry.message)


def reward_history_entry(redemption: RewardRedemption, status: int = 200) -> Response:
    """The purchase's and the refund's answer."""
    return respond({"data": reward_history(redemption)}, status)


def reward_history(redemption: RewardRedemption) -> dict[str, Any]:
    """An entry of a customer's reward history."""
    reward = redemption.reward
    return _resource(r.RewardHistoryEntryAttributes, redemption.id, redemption,
                     reward_id=reward.id, reward_name=reward.name, reward_discount_type=reward.discount_type,
                     status=redemption.state, is_refunded=redemption.state == RedemptionState.REFUNDED.value,
                     discount_code_redeemed_at=redemption.used_at, redeemed_at=redemption.used_at)


def reward(row: Reward) -> dict[str, Any]:
    return _resource(r.RewardAttributes, row.id, row)


def reward_attributes(reward: Reward) -> dict[str, Any]:
    """A reward's public fields, as the storefront shows them."""
    return r.RewardAttributes.model_validate(_fields(r.RewardAttributes, reward)).dump()
