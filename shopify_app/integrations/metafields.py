"""Shopify metafields: each customer's loyalty state and the shop's program, written with metafieldsSet."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.integrations.profile import LoyaltyState
from shopify_app.integrations.shopify_graphql import GraphQLClient, shop_gid, user_errors
from shopify_app.models import EarningRule, VipTier

NAMESPACE = "$app"
CUSTOMER_KEY = "loyalty"
PROGRAM_KEY = "loyalty_program"

METAFIELDS_SET = """
mutation LoyaltyMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id key }
    userErrors { field message code elementIndex }
  }
}
""".strip()


def _set(client: GraphQLClient, owner_id: str, key: str, value: dict[str, Any]) -> None:
    metafield = {"ownerId": owner_id, "namespace": NAMESPACE, "key": key, "type": "json",
                 "value": json.dumps(value, separators=(",", ":"), sort_keys=True)}
    data = client.execute(METAFIELDS_SET, {"metafields": [metafield]}, cost=10)
    user_errors(data, "metafieldsSet")


def write_customer(client: GraphQLClient, state: LoyaltyState) -> None:
    _set(client, f"gid://shopify/Customer/{state.shopify_customer_id}", CUSTOMER_KEY, state.metafield_value())


def program(session: Session, shop_id: str) -> dict[str, Any]:
    """The program as the storefront shows it: active earning rules and the tiers."""
    rules = session.scalars(
        select(EarningRule).where(EarningRule.shop_id == shop_id, EarningRule.is_active.is_(True))
        .order_by(EarningRule.created_at, EarningRule.id)
    )
    tiers = session.scalars(select(VipTier).where(VipTier.shop_id == shop_id).order_by(VipTier.points_required))
    return {
        "earning_rules": [
            {"id": r.id, "action": r.action, "category": r.category, "label": r.customer_facing_label or r.name,
             "points": r.points_to_give}
            for r in rules
        ],
        "tiers": [
            {"name": t.name, "points_required": t.points_required, "points_multiplier": float(t.points_multiplier)}
            for t in tiers
        ],
    }


def write_program(client: GraphQLClient, value: dict[str, Any]) -> None:
    _set(client, shop_gid(client), PROGRAM_KEY, value)
