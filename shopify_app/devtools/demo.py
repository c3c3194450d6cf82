"""The demo shop: a program, tiers and customers to try the app with, created idempotently."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.config import SHOPIFY_SCOPES, Config
from shopify_app.ids import new_id
from shopify_app.loyalty.ledger import postings
from shopify_app.loyalty.members.enrolment import entry_tier
from shopify_app.loyalty.program.defaults import DEFAULT_TIERS, PURCHASE_RULE, rule_definition
from shopify_app.loyalty.program.rules import rules
from shopify_app.loyalty.program.tiers import tiers
from shopify_app.loyalty.rewards.catalogue import rewards
from shopify_app.models import Customer, DiscountType, EarningRule, EntrySource, Pricing, Reward, RewardType, Shop
from shopify_app.shopify.oauth import TokenGrant
from shopify_app.shops.api_keys import derived_key, ensure_key
from shopify_app.shops.lookup import get_or_create_shop
from shopify_app.shops.tokens import store_grant

DEMO_SHOP = "demo-loyalty.myshopify.com"
# Its Shopify id, as webhook payloads for it name it (shop_id; app/uninstalled's id).
DEMO_SHOPIFY_SHOP_ID = "1"
MEMBER_ID_BASE = 2_000_000

# The default program's tiers and purchase rule, beside rules to try the API and the storefront with.
# It has no sign-up rule: a member the demo enrols starts with no points.
RULES: list[dict[str, Any]] = [
    rule_definition("follow_on_instagram", points_to_give=100, customer_facing_label="Follow us on Instagram",
                    call_to_action_url="https://instagram.com/demo-loyalty"),
    rule_definition("follow_on_tiktok", points_to_give=50, approval_time=14,
                    customer_facing_label="Follow us on TikTok", call_to_action_url="https://tiktok.com/@demo-loyalty"),
    rule_definition("join_newsletter", points_to_give=200, customer_facing_label="Join our newsletter"),
    rule_definition("share_on_facebook", points_to_give=15, is_active=False,
                    customer_facing_label="Share us on Facebook",
                    call_to_action_url="https://facebook.com/sharer/sharer.php?u=https://demo-loyalty.myshopify.com"),
    PURCHASE_RULE,
    rule_definition("birthday", points_to_give=250, customer_facing_label="250 points on your birthday"),
]
CUSTOMERS: list[dict[str, Any]] = [
    dict(shopify_customer_id="1001", email="gold@example.com", first_name="Goldie", last_name="Member",
         opening_balance=1200),
    dict(shopify_customer_id="1002", email="new@example.com", first_name="Newt", last_name="Member"),
    dict(shopify_customer_id="1003", email="excluded@example.com", first_name="Ex", last_name="Cluded",
         is_excluded=True),
]

# One of each kind; ``tier`` names the VIP tier of a tier reward.
REWARDS: list[dict[str, Any]] = [
    dict(name="$5 off", discount_type=DiscountType.FIXED_AMOUNT.value, discount_amount=Decimal("5.00"),
         points_cost=500),
    dict(name="10% off", discount_type=DiscountType.PERCENTAGE.value, discount_amount=Decimal("10"),
         points_cost=1000, minimum_spend=Decimal("50.00")),
    dict(name="Free shipping", discount_type=DiscountType.FREE_SHIPPING.value, points_cost=300, max_redemptions=1),
    dict(name="Gold: $20 off", discount_type=DiscountType.FIXED_AMOUNT.value, discount_amount=Decimal("20.00"),
         points_cost=1500, reward_type=RewardType.TIER.value, tier="Gold"),
    dict(name="Free tote bag", discount_type=DiscountType.FREE_PRODUCT.value, points_cost=800, is_active=False,
         product_gid="gid://shopify/Product/1001", variant_gid="gid://shopify/ProductVariant/1001",
         product_title="Tote bag", product_handle="tote-bag"),
    dict(name="Points for dollars", discount_type=DiscountType.FIXED_AMOUNT.value, points_cost=100,
         pricing=Pricing.PER_POINT.value, points_per_unit=100, min_points=100, max_points=2000),
]


# The token pair the local Shopify stand-in (tests/fakes/standin.py) accepts and refreshes.
STANDIN_ACCESS_TOKEN, STANDIN_REFRESH_TOKEN = "shpat_0", "shprt_0"
LOOPBACK_ORIGINS = ("http://127.0.0.1:", "http://localhost:")


@dataclass(frozen=True)
class DemoShop:
    shop: Shop
    api_key: str
    read_only_api_key: str


def seed(session: Session, secret: str, *, members: int = 0) -> DemoShop:
    shop = get_or_create_shop(session, DEMO_SHOP, name="Demo Loyalty")
    shop.shopify_shop_id = shop.shopify_shop_id or DEMO_SHOPIFY_SHOP_ID
    _seed_tiers(session, shop)
    _seed_rules(session, shop)
    _seed_customers(session, shop, CUSTOMERS)
    _seed_rewards(session, shop)
    if members:
        add_members(session, shop, members)
    full = ensure_key(session, shop, derived_key(secret, shop.domain, "demo-full"), read_only=False, name="Demo")
    read_only = ensure_key(
        session, shop, derived_key(secret, shop.domain, "demo-read-only"), read_only=True, name="Demo (read only)"
    )
    session.flush()
    return DemoShop(shop=shop, api_key=full.raw, read_only_api_key=read_only.raw)


def _seed_tiers(session: Session, shop: Shop) -> None:
    existing = {tier.name for tier in tiers(session, shop.id)}
    session.add_all(tier.build(shop.id) for tier in DEFAULT_TIERS if tier.name not in existing)
    session.flush()


def _seed_rules(session: Session, shop: Shop) -> None:
    existing = {rule.action for rule in rules(session, shop.id)}
    for rule in RULES:
        if rule["action"] not in existing:
            session.add(EarningRule(shop_id=shop.id, **rule))
    session.flush()


def _seed_rewards(session: Session, shop: Shop) -> None:
    existing = {reward.name for reward in rewards(session, shop.id, include_inactive=True)}
    tier_ids = {tier.name: tier.id for tier in tiers(session, shop.id)}
    for data in REWARDS:
        if data["name"] not in existing:
            fields = {key: value for key, value in data.items() if key != "tier"}
            session.add(Reward(shop_id=shop.id, vip_tier_id=tier_ids.get(data.get("tier", "")), **fields))
    session.flush()


def _seed_customers(session: Session, shop: Shop, customers: list[dict[str, Any]]) -> None:
    """The customers not there yet; a balance is posted as an opening balance, never set."""
    existing = set(session.scalars(select(Customer.shopify_customer_id).where(Customer.shop_id == shop.id)))
    for data in customers:
        if data["shopify_customer_id"] in existing:
            continue
        fields = {key: value for key, value in data.items() if key != "opening_balance"}
        opening = data.get("opening_balance", 0)
        # Created in the tier the opening balance reaches: a new customer's tier, not a change to log.
        customer = Customer(shop_id=shop.id, email_normalized=data["email"].lower(),
                            vip_tier_id=_tier_reached(session, shop, opening), **fields)
        session.add(customer)
        session.flush([customer])
        if opening:
            postings.grant(session, shop, customer, opening, source=EntrySource.OPENING_BALANCE)


def _tier_reached(session: Session, shop: Shop, lifetime_points: int) -> str | None:
    reached = [tier for tier in tiers(session, shop.id) if tier.points_required <= lifetime_points]
    return reached[-1].id if reached else None


def add_members(session: Session, shop: Shop, count: int, *, batch_size: int = 5000) -> int:
    """Members 2000001..2000000+count for load tests, written in a few multi-row INSERTs."""
    existing = set(
        session.scalars(
            select(Customer.shopify_customer_id).where(
                Customer.shop_id == shop.id, Customer.shopify_customer_id.like("2%")
            )
        )
    )
    first_tier = entry_tier(session, shop.id)
    now = utcnow()
    rows = []
    for i in range(1, count + 1):
        shopify_id = str(MEMBER_ID_BASE + i)
        if shopify_id in existing:
            continue
        email = f"member{i}@example.com"
        rows.append(dict(id=new_id("cus"), shop_id=shop.id, shopify_customer_id=shopify_id, email=email,
                         email_normalized=email, first_name="Member", last_name=str(i), is_excluded=False,
                         vip_tier_id=first_tier, created_at=now, updated_at=now))
    for start in range(0, len(rows), batch_size):
        session.execute(insert(Customer), rows[start:start + batch_size])
    return len(rows)


def is_local_standin(origin: str) -> bool:
    return origin.startswith(LOOPBACK_ORIGINS)


def connect_to_standin(shop: Shop, config: Config) -> None:
    """The demo shop's offline token pair, as an install would store it, for the local stand-in."""
    now = utcnow()
    store_grant(shop, TokenGrant(STANDIN_ACCESS_TOKEN, SHOPIFY_SCOPES, now + dt.timedelta(hours=1),
                                 STANDIN_REFRESH_TOKEN, now + dt.timedelta(days=90)), config)
