"""A shop's rewards: the live ones a customer may buy, the API's lists, finding one, the admin's form and its saves."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic_core import PydanticCustomError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.clock import utcnow
from shopify_app.errors import FormErrors, NotFound, quote
from shopify_app.loyalty.program.inputs import Form, OptionalText, Text, _on_stripped, choice_rule, number_rule
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


class RewardInput(Form):
    """The admin's reward form; fields that do not apply to the chosen type are left empty."""

    name: Text
    description: OptionalText
    discount_type: Annotated[str, choice_rule(*(kind.value for kind in DiscountType))]
    pricing: Annotated[str, choice_rule(*(kind.value for kind in Pricing))]
    points_cost: Annotated[int, number_rule(minimum=1, maximum=10_000_000)]
    discount_amount: Annotated[Decimal, _on_stripped(lambda v: _amount(v, required=False) or Decimal(0))]
    minimum_spend: Annotated[Decimal | None, _on_stripped(lambda v: _amount(v, required=False))]
    vip_tier_id: OptionalText
    max_redemptions: Annotated[int | None, _on_stripped(lambda v: _count(v))]
    expiry_days: Annotated[int | None, _on_stripped(lambda v: _count(v))]
    product_gid: OptionalText


def save_reward(session: Session, shop: Shop, command: RewardInput, reward: Reward | None = None) -> Reward:
    """Create or update a reward. A per-point reward: ``points_cost`` points buy 1.00 off, from that
    many points up to 20 times as many."""
    errors = {}
    if command.discount_type == DiscountType.PERCENTAGE.value and not Decimal(0) < command.discount_amount <= 100:
        errors["discount_amount"] = "Enter a percentage from 0 to 100"
    if command.discount_type == DiscountType.FREE_PRODUCT.value and not command.product_gid.startswith(PRODUCT_GID):
        errors["product_gid"] = f"Enter the product's id, like {PRODUCT_GID}123"
    tier = session.get(VipTier, command.vip_tier_id) if command.vip_tier_id else None
    if command.vip_tier_id and (tier is None or tier.shop_id != shop.id):
        errors["vip_tier_id"] = "Choose one of the shop's tiers"
    if errors:
        raise FormErrors(errors)
    if reward is None:
        reward = Reward(shop_id=shop.id)
        session.add(reward)
    per_point = command.pricing == Pricing.PER_POINT.value
    reward.name, reward.description, reward.discount_type = command.name, command.description, command.discount_type
    reward.pricing, reward.points_cost, reward.discount_amount = command.pricing, command.points_cost, \
        command.discount_amount
    reward.points_per_unit = command.points_cost if per_point else None
    reward.min_points = command.points_cost if per_point else None
    reward.max_points = command.points_cost * 20 if per_point else None
    reward.minimum_spend, reward.max_redemptions, reward.expiry_days = \
        command.minimum_spend, command.max_redemptions, command.expiry_days
    reward.vip_tier_id = command.vip_tier_id or None
    reward.reward_type = RewardType.TIER.value if reward.vip_tier_id else RewardType.DISCOUNT.value
    reward.product_gid = command.product_gid or None
    session.flush()
    return reward


def get_reward(session: Session, shop_id: str, reward_id: str) -> Reward:
    reward = shop_reward(session, shop_id, reward_id)
    if reward is None or reward.deleted_at is not None:
        raise NotFound(f"Reward '{quote(reward_id)}' not found")
    return reward


def delete_reward(reward: Reward) -> None:
    """Soft: codes already issued keep working and keep their reward."""
    reward.deleted_at, reward.is_active = utcnow(), False


def redemption_counts(session: Session, shop_id: str) -> dict[str, int]:
    """Codes made per reward (refunded ones too: they were redeemed, then given back)."""
    return dict(session.execute(
        select(RewardRedemption.reward_id, func.count())
        .where(RewardRedemption.shop_id == shop_id, RewardRedemption.shopify_discount_id.is_not(None))
        .group_by(RewardRedemption.reward_id)
    ).tuples().all())


PRODUCT_GID = "gid://shopify/Product/"


def _amount(value: str, *, required: bool) -> Decimal | None:
    if not value:
        if required:
            raise PydanticCustomError("form_field", "Enter an amount")
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise PydanticCustomError("form_field", "Enter an amount such as 5.00") from None
    if not amount.is_finite() or not Decimal(0) <= amount <= Decimal("1000000"):
        raise PydanticCustomError("form_field", "Enter an amount from 0 to 1,000,000")
    return amount.quantize(Decimal("0.01"))


def _count(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise PydanticCustomError("form_field", "Enter a whole number from 1 to 100,000, or leave it empty")
    return int(value)
