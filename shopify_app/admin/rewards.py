"""Rewards page: list with status and redemption counts, create, edit, (de)activate, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import done, form_data, render
from shopify_app.db import get_session
from shopify_app.errors import FormErrors
from shopify_app.loyalty.program import tiers as program_tiers
from shopify_app.loyalty.program.inputs import parse_form
from shopify_app.loyalty.rewards import catalogue
from shopify_app.models import DiscountType, Pricing, Reward, RewardType

DISCOUNT_TYPES = [
    (DiscountType.FIXED_AMOUNT.value, "Amount off"), (DiscountType.PERCENTAGE.value, "Percentage off"),
    (DiscountType.FREE_SHIPPING.value, "Free shipping"), (DiscountType.FREE_PRODUCT.value, "Free product"),
]
PRICINGS = [(Pricing.FIXED.value, "A fixed cost"), (Pricing.PER_POINT.value, "Points for money off (per 1.00)")]
REWARD_TYPES = [(RewardType.DISCOUNT.value, "Every member"), (RewardType.TIER.value, "Members of one VIP tier")]


def rewards() -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    return render("admin/rewards.html", rewards=catalogue.rewards(session, shop.id, include_inactive=True),
                  counts=catalogue.redemption_counts(session, shop.id), types=dict(DISCOUNT_TYPES))


def reward_form(reward_id: str | None = None) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    reward = catalogue.get_reward(session, shop.id, reward_id) if reward_id else None
    tier_choices = [(tier.id, tier.name) for tier in program_tiers.tiers(session, shop.id)]
    context: dict[str, Any] = dict(reward=reward, types=DISCOUNT_TYPES, reward_types=REWARD_TYPES,
                                   pricings=PRICINGS, tier_choices=tier_choices,
                                   applies_when=catalogue.APPLIES_WHEN, not_applying=catalogue.NOT_APPLYING)
    if request.method == "GET":
        return render("admin/reward_form.html", applying=catalogue.applying(_choices(reward)), **context)
    try:
        saved = catalogue.save_reward(session, shop, parse_form(catalogue.RewardInput, form_data()), reward)
    except FormErrors as error:
        return render("admin/reward_form.html", status=422, form=form_data(), errors=error.fields,
                      applying=catalogue.applying(form_data()), **context)
    session.commit()
    return done("admin.rewards", f"Saved \u201c{saved.name}\u201d")


def _choices(reward: Reward | None) -> dict[str, str]:
    """The choices a form opens with: the reward's, or a new reward's defaults."""
    if reward is None:
        return {"discount_type": DiscountType.FIXED_AMOUNT.value, "reward_type": RewardType.DISCOUNT.value,
                "pricing": Pricing.FIXED.value}
    return {"discount_type": reward.discount_type, "reward_type": reward.reward_type, "pricing": reward.pricing}


def reward_active(reward_id: str) -> ResponseReturnValue:
    session = get_session()
    reward = catalogue.get_reward(session, current_shop().id, reward_id)
    catalogue.set_active(session, reward, request.form.get("active") == "1")
    session.commit()
    return done("admin.rewards", f"\u201c{reward.name}\u201d {'activated' if reward.is_active else 'deactivated'}")


def reward_delete(reward_id: str) -> ResponseReturnValue:
    session = get_session()
    reward = catalogue.get_reward(session, current_shop().id, reward_id)
    catalogue.delete_reward(session, reward)
    session.commit()
    return done("admin.rewards", f"Deleted \u201c{reward.name}\u201d; codes already issued keep working")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/rewards", view_func=rewards, endpoint="rewards", methods=["GET"])
    bp.add_url_rule("/rewards/new", view_func=reward_form, endpoint="reward_new", methods=["GET", "POST"])
    bp.add_url_rule("/rewards/<reward_id>", view_func=reward_form, endpoint="reward_edit", methods=["GET", "POST"])
    bp.add_url_rule("/rewards/<reward_id>/active", view_func=reward_active, endpoint="reward_active",
                    methods=["POST"])
    bp.add_url_rule("/rewards/<reward_id>/delete", view_func=reward_delete, endpoint="reward_delete",
                    methods=["POST"])
