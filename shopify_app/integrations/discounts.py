"""Reward codes in Shopify (Admin GraphQL 2026-10): created for one customer, looked up by code, deleted."""

from __future__ import annotations

from typing import Any

from shopify_app.clock import isoformat_z
from shopify_app.integrations.shopify_graphql import GraphQLClient, user_errors
from shopify_app.models import DiscountType, RewardRedemption

CUSTOMER_GID = "gid://shopify/Customer/"

CREATE_BASIC = """mutation RewardCodeBasic($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""
CREATE_FREE_SHIPPING = """mutation RewardCodeFreeShipping($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""
DELETE = """mutation RewardCodeDelete($id: ID!) {
  discountCodeDelete(id: $id) {
    deletedCodeDiscountId
    userErrors { field code message }
  }
}"""
BY_CODE = """query RewardCodeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}"""


def create_code(client: GraphQLClient, redemption: RewardRedemption) -> str:
    """Create the redemption's code; its Shopify id. Permanent when Shopify refuses it."""
    if redemption.reward.discount_type == DiscountType.FREE_SHIPPING.value:
        field, query, variables = ("discountCodeFreeShippingCreate", CREATE_FREE_SHIPPING,
                                   {"freeShippingCodeDiscount": {**_common(redemption), "destination": {"all": True}}})
    else:
        field, query, variables = ("discountCodeBasicCreate", CREATE_BASIC,
                                   {"basicCodeDiscount": {**_common(redemption),
                                                          "customerGets": _customer_gets(redemption)}})
    data = client.execute(query, variables)
    user_errors(data, field)
    return str(data[field]["codeDiscountNode"]["id"])


def find_code(client: GraphQLClient, code: str) -> str | None:
    """The Shopify id of the discount that holds ``code``; None when Shopify has none."""
    node = client.execute(BY_CODE, {"code": code}, cost=1).get("codeDiscountNodeByCode")
    return str(node["id"]) if node else None


def delete_code(client: GraphQLClient, discount_id: str) -> None:
    data = client.execute(DELETE, {"id": discount_id})
    user_errors(data, "discountCodeDelete")


def _common(redemption: RewardRedemption) -> dict[str, Any]:
    """What every reward code has: one customer, one use, its end, its minimum subtotal."""
    reward = redemption.reward
    values: dict[str, Any] = {
        "title": f"{reward.name} ({redemption.discount_code})",
        "code": redemption.discount_code,
        "startsAt": isoformat_z(redemption.created_at),
        "endsAt": isoformat_z(redemption.expires_at),
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        # 2026-10 names the buyers through `context`; `customerSelection` is deprecated.
        "context": {"customers": {"add": [f"{CUSTOMER_GID}{redemption.customer.shopify_customer_id}"]}},
        "combinesWith": {"orderDiscounts": False, "productDiscounts": False, "shippingDiscounts": False},
    }
    if reward.minimum_spend is not None:
        values["minimumRequirement"] = {"subtotal": {"greaterThanOrEqualToSubtotal": str(reward.minimum_spend)}}
    return values


def _customer_gets(redemption: RewardRedemption) -> dict[str, Any]:
    reward = redemption.reward
    if reward.discount_type == DiscountType.PERCENTAGE.value:
        return {"value": {"percentage": float(redemption.discount_amount) / 100}, "items": {"all": True}}
    if reward.discount_type == DiscountType.FREE_PRODUCT.value:
        items = ({"products": {"productVariantsToAdd": [reward.variant_gid]}} if reward.variant_gid
                 else {"products": {"productsToAdd": [reward.product_gid]}})
        return {"value": {"percentage": 1.0}, "items": items}
    return {"value": {"discountAmount": {"amount": str(redemption.discount_amount), "appliesOnEachItem": False}},
            "items": {"all": True}}
