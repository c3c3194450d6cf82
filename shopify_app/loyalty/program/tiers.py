"""VIP tiers as the merchant sets them up: listed by threshold, saved from the admin form, deleted."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import Fields
from shopify_app.models import Shop, VipTier
from shopify_app.shops.lookup import get_owned
from shopify_app.upserts import unique_or_field_error

THRESHOLD_TAKEN = "Another tier already starts at this many points"


def tiers(session: Session, shop_id: str) -> list[VipTier]:
    """The shop's tiers, lowest threshold first: the one query of them that every reader uses."""
    return list(session.scalars(select(VipTier).where(VipTier.shop_id == shop_id).order_by(VipTier.points_required)))


def get_tier(session: Session, shop_id: str, tier_id: str) -> VipTier:
    return get_owned(session, VipTier, shop_id, tier_id, "VIP tier")


def save_tier(session: Session, shop: Shop, form: dict[str, str], tier: VipTier | None = None) -> bool:
    """Create or update a tier; True when members' tiers must be recomputed (a threshold moved)."""
    fields = Fields(form)
    name = fields.text("name")
    required = fields.integer("points_required", maximum=100_000_000)
    colour = fields.colour("badge_color")
    try:
        multiplier = Decimal((form.get("points_multiplier") or "").strip())
        if not Decimal("0.1") <= multiplier <= Decimal("10"):
            fields.errors["points_multiplier"] = "Enter a multiplier from 0.1 to 10"
    except InvalidOperation:
        fields.errors["points_multiplier"] = "Enter a number such as 1.25"
    taken = session.scalar(
        select(VipTier.id).where(VipTier.shop_id == shop.id, VipTier.points_required == required)
    )
    if "points_required" not in fields.errors and taken and (tier is None or taken != tier.id):
        fields.errors["points_required"] = THRESHOLD_TAKEN
    fields.check()
    moved = tier is None or tier.points_required != required
    with unique_or_field_error(session, "points_required", THRESHOLD_TAKEN):  # taken since the check above
        if tier is None:
            tier = VipTier(shop_id=shop.id)
            session.add(tier)
        tier.name, tier.points_required, tier.points_multiplier, tier.badge_color = name, required, multiplier, colour
    program_changed(session, shop.id)
    return moved


def delete_tier(session: Session, shop: Shop, tier: VipTier) -> None:
    session.delete(tier)
    session.flush()
    program_changed(session, shop.id)
