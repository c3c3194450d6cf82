"""Shopify metafields: each customer's loyalty state and the shop's program, written with metafieldsSet.

Both are app-owned (the reserved ``$app`` namespace) and declared in shopify.app.toml, with storefront
access, as ``[customer.metafields.app.loyalty]`` and ``[shop.metafields.app.loyalty_program]``: the
theme app extension reads them as ``customer.metafields['$app'].loyalty`` and
``shop.metafields['$app'].loyalty_program``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.integrations.profile import LoyaltyState
from shopify_app.integrations.shopify_graphql import GraphQLClient, shop_gid, user_errors
from shopify_app.loyalty.program.rules import active_rules
from shopify_app.loyalty.program.tiers import tiers
from shopify_app.loyalty.rewards.catalogue import rewards
from shopify_app.models import ProgramSettings

NAMESPACE = "$app"
CUSTOMER_KEY = "loyalty"
PROGRAM_KEY = "loyalty_program"
TYPE = "json"

METAFIELDS_SET = """
mutation LoyaltyMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id key }
    userErrors { field message code elementIndex }
  }
}
""".strip()


def _set(client: GraphQLClient, owner_id: str, key: str, value: dict[str, Any]) -> None:
    metafield = {"ownerId": owner_id, "namespace": NAMESPACE, "key": key, "type": TYPE,
                 "value": json.dumps(value, separators=(",", ":"), sort_keys=True)}
    data = client.execute(METAFIELDS_SET, {"metafields": [metafield]}, cost=10)
    user_errors(data, "metafieldsSet")


def write_customer(client: GraphQLClient, state: LoyaltyState) -> None:
    _set(client, f"gid://shopify/Customer/{state.shopify_customer_id}", CUSTOMER_KEY, state.metafield_value())


def program(session: Session, shop_id: str) -> dict[str, Any]:
    """The program as the storefront shows it: active earning rules, the tiers, the active rewards
    (cheapest first; ``tier`` names a tier reward's tier) and what the points are called."""
    points_name = session.scalar(select(ProgramSettings.points_name).where(ProgramSettings.shop_id == shop_id))
    return {
        "points_name": points_name,
        "earning_rules": [
            {"id": r.id, "action": r.action, "category": r.category, "label": r.customer_facing_label or r.name,
             "points": r.points_to_give}
            for r in active_rules(session, shop_id)
        ],
        "tiers": [
            {"name": t.name, "points_required": t.points_required, "points_multiplier": float(t.points_multiplier)}
            for t in tiers(session, shop_id)
        ],
        "rewards": [
            {"id": r.id, "name": r.name, "points_cost": r.points_cost, "discount_type": r.discount_type,
             "pricing": r.pricing, "tier": {"id": r.vip_tier.id, "name": r.vip_tier.name} if r.vip_tier else None}
            for r in rewards(session, shop_id)
        ],
    }


def write_program(client: GraphQLClient, value: dict[str, Any]) -> None:
    _set(client, shop_gid(client), PROGRAM_KEY, value)
