"""Builders for test data: shops, customers, rules and keys with sensible defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.config import Config
from shopify_app.devtools import demo
from shopify_app.loyalty.ledger import postings
from shopify_app.models import Customer, EarningRule, EntrySource, Reward, Shop, VipTier
from shopify_app.shops import api_keys
from shopify_app.shops.lookup import get_or_create_shop
from tests import shopify_signing


def describe(session: Session, seeded: demo.DemoShop) -> dict[str, Any]:
    shop = seeded.shop
    return {
        "shop_id": shop.id,
        "domain": shop.domain,
        "api_key": seeded.api_key,
        "read_only_api_key": seeded.read_only_api_key,
        "rules": {r.action: r.id for r in session.scalars(select(EarningRule).where(EarningRule.shop_id == shop.id))},
        "tiers": {t.name: t.id for t in session.scalars(select(VipTier).where(VipTier.shop_id == shop.id))},
        "rewards": {r.name: r.id for r in session.scalars(select(Reward).where(Reward.shop_id == shop.id))},
    }


def shop(session: Session, domain: str = "other-shop.myshopify.com", *, expiry_days: int = 0) -> Shop:
    created = get_or_create_shop(session, domain)
    created.settings.points_expiry_days = expiry_days
    return created


def customer(session: Session, shop: Shop, shopify_customer_id: str, email: str | None = None, *,
             current_points: int = 0, lifetime_points: int | None = None, **fields: Any) -> Customer:
    """A customer whose balances are posted: an opening balance of ``lifetime_points`` (default
    ``current_points``), less a manual removal down to ``current_points``."""
    email = email or f"c{shopify_customer_id}@example.com"
    row = Customer(shop_id=shop.id, shopify_customer_id=shopify_customer_id, email=email,
                   email_normalized=email.lower(), **fields)
    session.add(row)
    session.flush()
    lifetime = current_points if lifetime_points is None else lifetime_points
    if lifetime:
        postings.grant(session, shop, row, lifetime, source=EntrySource.OPENING_BALANCE)
    if lifetime > current_points:
        postings.spend(session, row, lifetime - current_points, source=EntrySource.MANUAL)
    return row


def rule(session: Session, shop: Shop, action: str = "follow_on_instagram", *, category: str = "social",
         points: int = 100, **fields: Any) -> EarningRule:
    row = EarningRule(shop_id=shop.id, name=action.replace("_", " ").title(), action=action, category=category,
                      points_to_give=points, **fields)
    session.add(row)
    session.flush()
    return row


def tier(session: Session, shop: Shop, name: str, points_required: int, multiplier: str) -> VipTier:
    row = VipTier(shop_id=shop.id, name=name, points_required=points_required, points_multiplier=Decimal(multiplier))
    session.add(row)
    session.flush()
    return row


def api_key(session: Session, shop: Shop, *, read_only: bool = False) -> str:
    return api_keys.issue_key(session, shop, read_only=read_only).raw


def session_token(config: Config, shop_domain: str, *, secret: str | None = None, **claims: Any) -> str:
    """A session token as App Bridge sends it for ``shop_domain``, signed with this app's secret."""
    return shopify_signing.session_token(shop_domain, secret=secret or config.shopify_api_secret,
                                         api_key=config.shopify_api_key, **claims)
