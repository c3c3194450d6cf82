"""The default program a new shop starts with: three tiers, a purchase rule and a sign-up rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.models import EarningRule, Shop, ShopSyncState, VipTier

DEFAULT_TIERS = [("Bronze", 0, "1", "#cd7f32"), ("Silver", 500, "1.25", "#a8a9ad"), ("Gold", 1000, "1.5", "#d4af37")]
DEFAULT_RULES: list[dict[str, Any]] = [
    dict(name="Place an order", action="place_order", category="purchase", points_to_give=1,
         customer_facing_label="1 point for every 1 spent"),
    dict(name="Create an account", action="signup", category="signup", points_to_give=100,
         customer_facing_label="100 points for creating an account"),
]


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
    for name, required, multiplier, colour in DEFAULT_TIERS:
        session.add(VipTier(shop_id=shop_id, name=name, points_required=required,
                            points_multiplier=Decimal(multiplier), badge_color=colour))
    session.add_all(EarningRule(shop_id=shop_id, **rule) for rule in DEFAULT_RULES)
    return True
