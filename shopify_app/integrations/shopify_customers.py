"""Shopify customers as the GraphQL Admin API gives them: one read by id, for enrolling them, and the node's shape."""

from __future__ import annotations

from typing import Any

from shopify_app.integrations.shopify_graphql import GraphQLClient
from shopify_app.loyalty.members.enrolment import ShopifyCustomer
from shopify_app.shopify.payloads import parse_time, shopify_id

CUSTOMER_QUERY = """query LoyaltyCustomer($id: ID!) {
  customer(id: $id) { id firstName lastName createdAt updatedAt defaultEmailAddress { emailAddress } }
}"""


def fetch_customer(client: GraphQLClient, customer_id: str) -> ShopifyCustomer | None:
    """The customer with this Shopify id (digits), or None when the shop has no such customer."""
    data = client.execute(CUSTOMER_QUERY, {"id": f"gid://shopify/Customer/{customer_id}"}, cost=1)
    node: dict[str, Any] | None = data.get("customer")
    return customer_from_node(node) if node else None


def customer_from_node(node: dict[str, Any]) -> ShopifyCustomer:
    """A Customer node of the 2026-10 Admin API (by id, or a line of a bulk operation's JSONL)."""
    email = (node.get("defaultEmailAddress") or {}).get("emailAddress")
    return ShopifyCustomer(id=shopify_id(node["id"]), email=email, first_name=node.get("firstName"),
                           last_name=node.get("lastName"), created_at=parse_time(node.get("createdAt")),
                           updated_at=parse_time(node.get("updatedAt")))
