"""The merchant's program: earning rules from a catalogue, VIP tiers and program settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.loyalty.shops import get_owned
from shopify_app.loyalty.side_effects import program_changed
from shopify_app.loyalty.validation import Fields, unique_or_field_error
from shopify_app.models import EarningRule, RuleCategory, Shop, VipTier


@dataclass(frozen=True)
class CatalogueAction:
    action: str
    category: str
    name: str
    needs_url: bool = False


def _social(network: str, verb: str = "follow") -> CatalogueAction:
    label = {"x": "X"}.get(network, network.title().replace("Tiktok", "TikTok").replace("Youtube", "YouTube"))
    title = f"Follow us on {label}" if verb == "follow" else f"Share on {label}"
    return CatalogueAction(f"{verb}_on_{network}", RuleCategory.SOCIAL.value, title, needs_url=True)


CATALOGUE: tuple[CatalogueAction, ...] = (
    CatalogueAction("place_order", RuleCategory.PURCHASE.value, "Place an order"),
    CatalogueAction("create_account", RuleCategory.SIGNUP.value, "Create an account"),
    CatalogueAction("birthday", RuleCategory.BIRTHDAY.value, "Celebrate your birthday"),
    CatalogueAction("anniversary", RuleCategory.ANNIVERSARY.value, "Account anniversary"),
    CatalogueAction("refer_a_friend", RuleCategory.REFERRAL.value, "Refer a friend"),
    *(_social(n) for n in ("instagram", "tiktok", "facebook", "x", "youtube", "pinterest")),
    *(_social(n, "share") for n in ("facebook", "x", "pinterest")),
    CatalogueAction("join_newsletter", RuleCategory.ENGAGEMENT.value, "Join our newsletter"),
    CatalogueAction("custom", RuleCategory.ENGAGEMENT.value, "Custom action", needs_url=True),
)
BY_ACTION = {item.action: item for item in CATALOGUE}
THRESHOLD_TAKEN = "Another tier already starts at this many points"


def rules(session: Session, shop_id: str) -> list[EarningRule]:
    return list(
        session.scalars(
            select(EarningRule).where(EarningRule.shop_id == shop_id).order_by(EarningRule.category, EarningRule.name)
        )
    )


def get_rule(session: Session, shop_id: str, rule_id: str) -> EarningRule:
    return get_owned(session, EarningRule, shop_id, rule_id, "Earning rule")


def save_rule(session: Session, shop: Shop, form: dict[str, str], rule: EarningRule | None = None) -> EarningRule:
    """Create (rule None) or update a rule from the admin form; the action is fixed once created."""
    fields = Fields(form)
    item = BY_ACTION.get(rule.action if rule else form.get("action", ""))
    if item is None:
        fields.errors["action"] = "Choose an action from the catalogue"
    name = fields.text("name")
    points = fields.integer("points_to_give", maximum=1_000_000)
    approval = fields.integer("approval_time", maximum=365)
    label = fields.text("customer_facing_label", required=False)
    url = fields.url("call_to_action_url")
    description = fields.text("description", required=False, max_length=2000)
    fields.check()
    assert item is not None
    if rule is None:
        rule = EarningRule(shop_id=shop.id, action=item.action, category=item.category, is_active=True)
        session.add(rule)
    rule.name, rule.points_to_give, rule.approval_time = name, points, approval
    rule.customer_facing_label, rule.call_to_action_url, rule.description = label or None, url, description or None
    session.flush()
    program_changed(session, shop.id)
    return rule


def set_rule_active(session: Session, shop: Shop, rule: EarningRule, active: bool) -> None:
    rule.is_active = active
    program_changed(session, shop.id)


def tiers(session: Session, shop_id: str) -> list[VipTier]:
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


def update_settings(shop: Shop, form: dict[str, str]) -> None:
    fields = Fields(form)
    days = fields.integer("points_expiry_days", maximum=3650)
    name = fields.text("points_name", max_length=64)
    fields.check()
    shop.settings.points_expiry_days, shop.settings.points_name = days, name
    program_changed(Session.object_session(shop), shop.id)  # type: ignore[arg-type]  # a loaded shop has one
