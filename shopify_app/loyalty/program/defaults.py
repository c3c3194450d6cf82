"""The default program a new shop starts with: three tiers, a purchase rule and a sign-up rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.rules import BY_ACTION
from shopify_app.models import EarningRule, Shop, ShopSyncState, VipTier


@dataclass(frozen=True)
class TierDefinition:
    name: str
    points_required: int
    points_multiplier: Decimal
    badge_color: str

    def build(self, shop_id: str) -> VipTier:
        return VipTier(shop_id=shop_id, name=self.name, points_required=self.points_required,
                       points_multiplier=self.points_multiplier, badge_color=self.badge_color)


def rule_definition(action: str, **fields: Any) -> dict[str, Any]:
    """A rule's columns for a catalogue action: its category and name come from the catalogue, so a
    rule made here opens and saves in the admin like one the merchant made."""
    item = BY_ACTION[action]
    return {"name": item.name, "action": item.action, "category": item.category, **fields}


DEFAULT_TIERS = (
    TierDefinition("Bronze", 0, Decimal("1"), "#cd7f32"),
    TierDefinition("Silver", 500, Decimal("1.25"), "#a8a9ad"),
    TierDefinition("Gold", 1000, Decimal("1.5"), "#d4af37"),
)
PURCHASE_RULE = rule_definition("place_order", points_to_give=1, customer_facing_label="1 point for every 1 spent")
SIGNUP_RULE = rule_definition("signup", points_to_give=100,
                              customer_facing_label="100 points for creating an account")
DEFAULT_RULES = (PURCHASE_RULE, SIGNUP_RULE)


def needs_program(session: Session, shop_id: str) -> bool:
    state = session.get(ShopSyncState, shop_id)
    return state is None or state.program_set_up_at is None


def set_up_default_program(session: Session, shop_id: str, *, now: dt.datetime | None = None) -> bool:
    """Tiers, a purchase rule and a sign-up rule, once, and only for a shop with no program
    of its own; True when it created them."""
    # The shop's row is locked so two set-up jobs of one shop cannot both create a program.
    locked = session.scalar(select(Shop.id).where(Shop.id == shop_id).with_for_update())
    if locked is None or not needs_program(session, shop_id):
        return False
    state = session.get(ShopSyncState, shop_id) or ShopSyncState(shop_id=shop_id)
    state.program_set_up_at = now or utcnow()
    session.add(state)
    program_changed(session, shop_id)  # the storefront's program metafield, from the first install on
    has_program = session.scalar(select(
        exists().where(EarningRule.shop_id == shop_id) | exists().where(VipTier.shop_id == shop_id)))
    if has_program:
        return False
    session.add_all(tier.build(shop_id) for tier in DEFAULT_TIERS)
    session.add_all(EarningRule(shop_id=shop_id, **rule) for rule in DEFAULT_RULES)
    return True
