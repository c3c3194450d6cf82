"""A shop's rewards: the live ones a customer may buy, and finding one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from shopify_app.models import Reward


def rewards(session: Session, shop_id: str, *, include_inactive: bool = False) -> list[Reward]:
    """The shop's rewards not deleted, cheapest first (inactive ones too when asked)."""
    query = (select(Reward).options(joinedload(Reward.vip_tier))
             .where(Reward.shop_id == shop_id, Reward.deleted_at.is_(None))
             .order_by(Reward.points_cost, Reward.id))
    if not include_inactive:
        query = query.where(Reward.is_active.is_(True))
    return list(session.scalars(query))


def shop_reward(session: Session, shop_id: str, reward_id: str) -> Reward | None:
    """The shop's reward of that id, whatever its state; None for another shop's."""
    if "\x00" in reward_id:  # no id holds one, and PostgreSQL refuses it in a parameter
        return None
    return session.scalar(select(Reward).where(Reward.shop_id == shop_id, Reward.id == reward_id))


def is_live(reward: Reward | None) -> bool:
    return reward is not None and reward.is_active and reward.deleted_at is None
