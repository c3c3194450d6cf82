"""The /v1 resources' attributes as pydantic models: what the serializers emit and the OpenAPI document
describes, from one definition each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from shopify_app.clock import isoformat_z

# ISO 8601 UTC with milliseconds and a Z.
Timestamp = Annotated[dt.datetime | None, PlainSerializer(isoformat_z, return_type=str | None)]
Date = Annotated[dt.date | None, PlainSerializer(lambda d: d.isoformat() if d else None, return_type=str | None)]
Multiplier = Annotated[Decimal, PlainSerializer(float, return_type=float)]


class Attributes(BaseModel):
    """Read from the domain object's attributes; dumped in field order."""

    model_config = ConfigDict(from_attributes=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="python")


class VipTierSummary(Attributes):
    id: str
    name: str
    points_required: int
    points_multiplier: Multiplier
    badge_image_url: str | None = None
    badge_color: str


class CustomerAttributes(Attributes):
    shopify_customer_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    current_points: int
    lifetime_points: int
    redeemed_points: int
    loyalty_status: str
    date_of_birth: Date
    referral_url: str | None = None
    referral_code: str | None = None
    vip_tier: VipTierSummary | None
    points_expire_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp


class CustomerBirthdayAttributes(Attributes):
    shopify_customer_id: str
    email: str | None
    date_of_birth: Date


class CustomerAnniversaryAttributes(Attributes):
    shopify_customer_id: str
    email: str | None
    anniversary_date: Date


class EarningRuleAttributes(Attributes):
    name: str
    description: str | None
    action: str
    category: str
    is_active: bool
    points_to_give: int
    customer_facing_label: str | None
    call_to_action_url: str | None
    created_at: Timestamp
    updated_at: Timestamp


class AwardedEntryAttributes(Attributes):
    """An earning history entry as the award answers it."""

    earning_rule_id: str | None
    action: str
    points: int
    base_points: int
    points_multiplier: Multiplier
    status: str
    points_given_at: Timestamp
    points_due_at: Timestamp
    points_expiry_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp


class EarningHistoryEntryAttributes(AwardedEntryAttributes):
    """An earning history entry as the history lists it: the ledger's own fields too."""

    order_id: str | None
    order_number: str | None
    manual_intervention: bool
    note: str | None


class PointsAdjustmentAttributes(Attributes):
    shopify_customer_id: str
    adjustment: int
    points_before: int
    points_after: int
    current_points: int
    note: str | None


class ActivityAttributes(Attributes):
    kind: str
    occurred_at: Timestamp
    shopify_customer_id: str | None
    points: int | None
    description: str


class RewardAttributes(Attributes):
    """A reward's public fields, as the API and the storefront show them."""

    name: str
    description: str
    discount_type: str
    reward_type: str
    points_cost: int
    discount_amount: Multiplier
    minimum_spend: Annotated[Decimal | None, PlainSerializer(lambda d: None if d is None else float(d),
                                                             return_type=float | None)]
    is_active: bool
    max_redemptions: int | None
    expiry_days: int | None
    pricing: str
    points_per_unit: int | None
    min_points: int | None
    max_points: int | None
    created_at: Timestamp
    updated_at: Timestamp


class ResourceId(Attributes):
    id: str


class TierRewardAttributes(RewardAttributes, ResourceId):
    """A reward embedded in its tier, its id first (pydantic takes the last base's fields first)."""


class VipTierAttributes(Attributes):
    name: str
    description: str | None = None
    points_required: int
    points_multiplier: Multiplier
    badge_image_url: str | None = None
    badge_color: str
    rewards: list[TierRewardAttributes]  # the tier's own rewards, cheapest first, inactive ones too
    created_at: Timestamp
    updated_at: Timestamp


class RewardHistoryEntryAttributes(Attributes):
    """A reward's code bought with points."""

    reward_id: str
    reward_name: str
    reward_discount_type: str
    points_spent: int
    discount_amount: Multiplier
    discount_code: str
    status: str
    is_refunded: bool
    # Both name when the code was used on an order, as Mage's examples do.
    discount_code_redeemed_at: Timestamp
    redeemed_at: Timestamp
    expires_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp


# The JSON:API type of each resource, for the documents and the OpenAPI schemas.
RESOURCE_TYPES: dict[type[Attributes], str] = {
    CustomerAttributes: "customer",
    CustomerBirthdayAttributes: "customer_birthday",
    CustomerAnniversaryAttributes: "customer_anniversary",
    EarningRuleAttributes: "earning_rule",
    AwardedEntryAttributes: "earning_history_entry",
    EarningHistoryEntryAttributes: "earning_history_entry",
    VipTierAttributes: "vip_tier",
    PointsAdjustmentAttributes: "points_adjustment",
    ActivityAttributes: "activity",
    RewardAttributes: "reward",
    RewardHistoryEntryAttributes: "reward_history_entry",
}
