"""A shop's rewards: the live ones a customer may buy, the API's lists, finding one, the admin's form and its saves."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.clock import utcnow
from shopify_app.errors import FormErrors, NotFound, quote
from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import (
    Form,
    OptionalText,
    Text,
    WebUrl,
    _on_stripped,
    choice_rule,
    optional_number_rule,
)
from shopify_app.models import DiscountType, Pricing, Reward, RewardRedemption, RewardType, Shop, VipTier
from shopify_app.paging import Page, PageRequest, read_page


def rewards(session: Session, shop_id: str, *, include_inactive: bool = False) -> list[Reward]:
    """The shop's rewards not deleted, cheapest first (inactive ones too when asked)."""
    query = (select(Reward).options(joinedload(Reward.vip_tier))
             .where(Reward.shop_id == shop_id, Reward.deleted_at.is_(None))
             .order_by(Reward.points_cost, Reward.id))
    if not include_inactive:
        query = query.where(Reward.is_active.is_(True))
    return list(session.scalars(query))


def list_rewards(session: Session, shop_id: str, request: PageRequest, *, active: bool | None = None,
                 reward_type: str | None = None) -> Page[Reward]:
    """One page of the shop's rewards not deleted, of one state or type if asked."""
    ids = select(Reward.id).where(Reward.shop_id == shop_id, Reward.deleted_at.is_(None))
    if active is not None:
        ids = ids.where(Reward.is_active.is_(active))
    if reward_type is not None:
        ids = ids.where(Reward.reward_type == reward_type)
    return read_page(session, Reward, ids, request)


def tier_rewards(session: Session, shop_id: str) -> dict[str, list[Reward]]:
    """Each tier's own rewards not deleted, cheapest first, by tier id."""
    by_tier: dict[str, list[Reward]] = {}
    for reward in rewards(session, shop_id, include_inactive=True):
        if reward.reward_type == RewardType.TIER.value and reward.vip_tier_id is not None:
            by_tier.setdefault(reward.vip_tier_id, []).append(reward)
    return by_tier


def shop_reward(session: Session, shop_id: str, reward_id: str) -> Reward | None:
    """The shop's reward of that id, whatever its state; None for another shop's."""
    if "\x00" in reward_id:  # no id holds one, and PostgreSQL refuses it in a parameter
        return None
    return session.scalar(select(Reward).where(Reward.shop_id == shop_id, Reward.id == reward_id))


def is_live(reward: Reward | None) -> bool:
    return reward is not None and reward.is_active and reward.deleted_at is None


PRODUCT_GID = "gid://shopify/Product/"
VARIANT_GID = "gid://shopify/ProductVariant/"
MAX_POINTS = 10_000_000


def _amount(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise PydanticCustomError("form_field", "Enter an amount such as 5.00") from None
    if not amount.is_finite() or not Decimal(0) <= amount <= Decimal("1000000"):
        raise PydanticCustomError("form_field", "Enter an amount from 0 to 1,000,000")
    return amount.quantize(Decimal("0.01"))


def _points(value: str) -> int | None:
    """Points of a field that may not apply (then empty); REQUIRED says when it must be given."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_POINTS:
        raise PydanticCustomError("form_field", f"Enter a number from 1 to {MAX_POINTS}")
    return int(value)


# Which fields apply, in form order: a field applies when each choice it names holds one of the
# values given. The form shows only those (the page as rendered, admin.js on each change) and the
# save reads the others as NOT_APPLYING says (empty unless named there), so a hidden field never counts.
_AMOUNT_OFF: tuple[str, ...] = (DiscountType.FIXED_AMOUNT.value,)
_FREE_PRODUCT: dict[str, tuple[str, ...]] = {"discount_type": (DiscountType.FREE_PRODUCT.value,)}
_PER_POINT: dict[str, tuple[str, ...]] = {"discount_type": _AMOUNT_OFF, "pricing": (Pricing.PER_POINT.value,)}
APPLIES_WHEN: dict[str, dict[str, tuple[str, ...]]] = {
    "pricing": {"discount_type": _AMOUNT_OFF},
    "points_cost": {"pricing": (Pricing.FIXED.value,)},
    "discount_amount": {"discount_type": (DiscountType.FIXED_AMOUNT.value, DiscountType.PERCENTAGE.value),
                        "pricing": (Pricing.FIXED.value,)},
    "points_per_unit": _PER_POINT, "min_points": _PER_POINT, "max_points": _PER_POINT,
    "product_gid": _FREE_PRODUCT, "variant_gid": _FREE_PRODUCT, "product_title": _FREE_PRODUCT,
    "product_handle": _FREE_PRODUCT, "product_image_url": _FREE_PRODUCT,
    "vip_tier_id": {"reward_type": (RewardType.TIER.value,)},
}
NOT_APPLYING = {"pricing": Pricing.FIXED.value}
# What a reward cannot be saved without, where the field applies.
REQUIRED = {
    "points_cost": "Enter the points it costs", "discount_amount": "Enter the value",
    "points_per_unit": "Enter the points that buy 1.00 off", "min_points": "Enter the fewest points a code takes",
    "max_points": "Enter the most points a code takes", "product_gid": "Choose the free product",
    "vip_tier_id": "Choose the tier",
}


def applying(form: Mapping[str, object]) -> set[str]:
    """The conditional fields that apply to the form's choices; a choice that does not apply
    counts as its NOT_APPLYING value for the fields after it."""
    values = {name: str(form.get(name) or "") for name in ("discount_type", "reward_type", "pricing")}
    found = set()
    for name, when in APPLIES_WHEN.items():
        if all(values.get(choice, "") in allowed for choice, allowed in when.items()):
            found.add(name)
        elif name in values:
            values[name] = NOT_APPLYING.get(name, "")
    return found


Points = Annotated[int | None, _on_stripped(_points)]
Amount = Annotated[Decimal | None, _on_stripped(_amount)]
Count = Annotated[int | None, optional_number_rule(minimum=1, maximum=100_000)]


class RewardInput(Form):
    """The admin's reward form; a field that does not apply to the chosen kind is read as empty."""

    name: Text
    description: OptionalText
    discount_type: Annotated[str, choice_rule(*(kind.value for kind in DiscountType))]
    reward_type: Annotated[str, choice_rule(*(kind.value for kind in RewardType))]
    pricing: Annotated[str, choice_rule(*(kind.value for kind in Pricing))]
    points_cost: Points
    discount_amount: Amount
    points_per_unit: Points
    min_points: Points
    max_points: Points
    minimum_spend: Amount
    vip_tier_id: OptionalText
    max_redemptions: Count
    expiry_days: Count
    product_gid: OptionalText
    variant_gid: OptionalText
    product_title: OptionalText
    product_handle: OptionalText
    product_image_url: WebUrl

    @model_validator(mode="before")
    @classmethod
    def _only_what_applies(cls, form: dict[str, object]) -> dict[str, object]:
        kept = applying(form)
        return {name: value if name in kept or name not in APPLIES_WHEN else NOT_APPLYING.get(name, "")
                for name, value in form.items()}


def save_reward(session: Session, shop: Shop, command: RewardInput, reward: Reward | None = None) -> Reward:
    """Create or update a reward; the shop's program metafield, which lists the active ones, follows."""
    errors = _form_errors(session, shop, command)
    if errors:
        raise FormErrors(errors)
    if reward is None:
        reward = Reward(shop_id=shop.id)
        session.add(reward)
    per_point = command.pricing == Pricing.PER_POINT.value
    reward.name, reward.description, reward.discount_type = command.name, command.description, command.discount_type
    reward.reward_type, reward.vip_tier_id = command.reward_type, command.vip_tier_id or None
    reward.pricing, reward.discount_amount = command.pricing, command.discount_amount or Decimal(0)
    # A per-point reward is listed by what its cheapest code costs.
    reward.points_cost = (command.min_points if per_point else command.points_cost) or 0
    reward.points_per_unit, reward.min_points, reward.max_points = \
        command.points_per_unit, command.min_points, command.max_points
    reward.minimum_spend, reward.max_redemptions, reward.expiry_days = \
        command.minimum_spend, command.max_redemptions, command.expiry_days
    reward.product_gid, reward.variant_gid = command.product_gid or None, command.variant_gid or None
    reward.product_title, reward.product_handle, reward.product_image_url = \
        command.product_title or None, command.product_handle or None, command.product_image_url
    session.flush()
    program_changed(session, shop.id)
    return reward


def _form_errors(session: Session, shop: Shop, command: RewardInput) -> dict[str, str]:
    kept = applying(command.model_dump())
    errors = {name: message for name, message in REQUIRED.items()
              if name in kept and getattr(command, name) in (None, "", Decimal(0))}
    amount = command.discount_amount
    if command.discount_type == DiscountType.PERCENTAGE.value and amount is not None and amount > 100:
        errors.setdefault("discount_amount", "Enter a percentage from 0 to 100")
    if command.product_gid and not command.product_gid.startswith(PRODUCT_GID):
        errors["product_gid"] = f"Enter the product's id, like {PRODUCT_GID}123"
    if command.variant_gid and not command.variant_gid.startswith(VARIANT_GID):
        errors["variant_gid"] = f"Enter the variant's id, like {VARIANT_GID}123, or leave it empty"
    unit, low, high = command.points_per_unit, command.min_points, command.max_points
    for name, points in (("min_points", low), ("max_points", high)):
        if unit and points and points % unit:
            errors.setdefault(name, f"Enter a multiple of {unit}")
    if low and high and high < low:
        errors.setdefault("max_points", "Enter at least the minimum")
    tier = session.get(VipTier, command.vip_tier_id) if command.vip_tier_id else None
    if command.vip_tier_id and (tier is None or tier.shop_id != shop.id):
        errors["vip_tier_id"] = "Choose one of the shop's tiers"
    return errors


def get_reward(session: Session, shop_id: str, reward_id: str) -> Reward:
    reward = shop_reward(session, shop_id, reward_id)
    if reward is None or reward.deleted_at is not None:
        raise NotFound(f"Reward '{quote(reward_id)}' not found")
    return reward


def set_active(session: Session, reward: Reward, active: bool) -> None:
    reward.is_active = active
    program_changed(session, reward.shop_id)


def delete_reward(session: Session, reward: Reward) -> None:
    """Soft: codes already issued keep working and keep their reward."""
    reward.deleted_at, reward.is_active = utcnow(), False
    program_changed(session, reward.shop_id)


def redemption_counts(session: Session, shop_id: str) -> dict[str, int]:
    """Codes made per reward (refunded ones too: they were redeemed, then given back)."""
    return dict(session.execute(
        select(RewardRedemption.reward_id, func.count())
        .where(RewardRedemption.shop_id == shop_id, RewardRedemption.shopify_discount_id.is_not(None))
        .group_by(RewardRedemption.reward_id)
    ).tuples().all())
