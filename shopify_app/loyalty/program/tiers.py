"""VIP tiers as the merchant sets them up: listed by threshold, saved from the admin form, deleted."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopify_app.errors import FormErrors
from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import Colour, Form, Multiplier, Text, number_rule
from shopify_app.models import Customer, Reward, Shop, VipTier
from shopify_app.shops.lookup import get_owned
from shopify_app.upserts import unique_or_field_error

THRESHOLD_TAKEN = "Another tier already starts at this many points"


def tiers(session: Session, shop_id: str) -> list[VipTier]:
    """The shop's tiers, lowest threshold first: the one query of them that every reader uses."""
    return list(session.scalars(select(VipTier).where(VipTier.shop_id == shop_id).order_by(VipTier.points_required)))


def get_tier(session: Session, shop_id: str, tier_id: str) -> VipTier:
    return get_owned(session, VipTier, shop_id, tier_id, "VIP tier")


class TierInput(Form):
    name: Text
    points_required: Annotated[int, number_rule(maximum=100_000_000)]
    points_multiplier: Multiplier
    badge_color: Colour


def save_tier(session: Session, shop: Shop, command: TierInput, tier: VipTier | None = None) -> bool:
    """Create or update a tier; True when members' tiers must be recomputed (a threshold moved)."""
    required = command.points_required
    taken = session.scalar(
        select(VipTier.id).where(VipTier.shop_id == shop.id, VipTier.points_required == required)
    )
    if taken and (tier is None or taken != tier.id):
        raise FormErrors({"points_required": THRESHOLD_TAKEN})
    moved = tier is None or tier.points_required != required
    with unique_or_field_error(session, "points_required", THRESHOLD_TAKEN):  # taken since the check above
        if tier is None:
            tier = VipTier(shop_id=shop.id)
            session.add(tier)
        tier.name, tier.points_required = command.name, required
        tier.points_multiplier, tier.badge_color = command.points_multiplier, command.badge_color
    program_changed(session, shop.id)
    return moved


def delete_tier(session: Session, shop: Shop, tier: VipTier) -> None:
    """Members and rewards leave the tier first: a reference that holds the shop is never nulled by the database."""
    for model in (Customer, Reward):
        session.execute(update(model).where(model.shop_id == shop.id, model.vip_tier_id == tier.id)
                        .values(vip_tier_id=None))
    session.delete(tier)
    session.flush()
    program_changed(session, shop.id)
