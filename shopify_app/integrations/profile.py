"""A customer's loyalty state as every destination receives it, read fresh when a job runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from shopify_app.clock import isoformat_z
from shopify_app.loyalty.members.summary import summarize
from shopify_app.models import Customer


@dataclass(frozen=True)
class LoyaltyState:
    version: int
    shopify_customer_id: str
    email: str | None
    points_balance: int
    lifetime_points: int
    redeemed_points: int
    pending_points: int
    vip_tier: str | None
    next_tier: str | None
    points_to_next_tier: int | None
    status: str
    points_expire_at: str | None
    points_expiring: int

    def metafield_value(self) -> dict[str, object]:
        """The customer metafield's JSON (what Liquid reads)."""
        value = asdict(self)
        for key in ("version", "shopify_customer_id", "email"):
            value.pop(key)
        return value


# The state pushed to marketing tools: field, and its label in Klaviyo's Title Case style.
PROFILE_FIELDS = (
    ("points_balance", "Points Balance"),
    ("lifetime_points", "Lifetime Points"),
    ("vip_tier", "VIP Tier"),
    ("points_to_next_tier", "Points To Next Tier"),
    ("status", "Status"),
)


def titled_properties(state: LoyaltyState) -> dict[str, object]:
    """``Loyalty Points Balance`` …: Klaviyo's property style."""
    return {f"Loyalty {label}": getattr(state, field) for field, label in PROFILE_FIELDS}


def snake_properties(state: LoyaltyState) -> dict[str, object]:
    """``loyalty_points_balance`` …: Omnisend and Postscript allow only letters, digits and ``_``."""
    return {f"loyalty_{field}": getattr(state, field) for field, _ in PROFILE_FIELDS}


def loyalty_state(session: Session, customer: Customer) -> LoyaltyState:
    summary = summarize(session, customer)
    member = summary.member
    return LoyaltyState(
        version=member.sync_version,
        shopify_customer_id=member.shopify_customer_id,
        email=member.email,
        points_balance=member.current_points,
        lifetime_points=member.lifetime_points,
        redeemed_points=member.redeemed_points,
        pending_points=summary.pending_points,
        vip_tier=summary.current_tier.name if summary.current_tier else None,
        next_tier=summary.next_tier.name if summary.next_tier else None,
        points_to_next_tier=summary.points_to_next_tier,
        status=member.loyalty_status,
        points_expire_at=isoformat_z(summary.points_expire_at),
        points_expiring=summary.points_expiring,
    )


@dataclass(frozen=True)
class PointsEvent:
    """One "Points Awarded" event: ``unique_id`` is the ledger entry id, so vendors keep it once."""

    unique_id: str
    points: int
    earning_rule: str
    status: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class RewardEvent:
    """One "Reward Redeemed" event: ``unique_id`` is the reward history id, so vendors keep it once."""

    unique_id: str
    reward_name: str
    points_spent: int
    discount_type: str
    discount_code: str
    expires_at: str | None
    occurred_at: dt.datetime

    def titled_properties(self) -> dict[str, object]:
        """Klaviyo's Title Case properties; ``snake_properties`` for Omnisend and Postscript."""
        return {"Reward Name": self.reward_name, "Points Spent": self.points_spent,
                "Discount Type": self.discount_type, "Discount Code": self.discount_code,
                "Expires At": self.expires_at}

    def snake_properties(self) -> dict[str, object]:
        return {name.lower().replace(" ", "_"): value for name, value in self.titled_properties().items()}


# What a points change sends to the marketing tools besides the profile.
Event = PointsEvent | RewardEvent
