"""The products of purchase rules' excluded collections, read through the Admin API when a rule
is saved and daily, so an order's lines are checked against ids and not looked up while it is paid."""

from __future__ import annotations

from typing import Any

from redis import Redis
from sqlalchemy import select

from shopify_app.integrations.http import AwaitingReconnect, Skipped
from shopify_app.jobs import queues, runtime
from shopify_app.jobs.destinations import shopify_client
from shopify_app.loyalty.program.rules import purchase_rules_excluding_collections, set_collection_products
from shopify_app.models import EarningRule, Shop
from shopify_app.shopify.payloads import shopify_id

PAGE_SIZE = 250
PAGE_COST = PAGE_SIZE + 2
# A collection of more products than this is read only this far (the rest keep earning).
MAX_PAGES = 40

COLLECTION_PRODUCTS_QUERY = """
query CollectionProducts($id: ID!, $first: Int!, $after: String) {
  collection(id: $id) {
    products(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { legacyResourceId }
    }
  }
}
"""


def enqueue_refresh(redis: Redis, shop_id: str) -> None:
    """Read the shop's excluded collections again (after a rule is saved, and daily)."""
    queues.queue(redis, queues.MAINTENANCE).enqueue(
        "shopify_app.jobs.collections.refresh_shop", shop_id, job_id=queues.job_id("collections", shop_id),
        job_timeout=queues.MAINTENANCE_TIMEOUT, result_ttl=queues.RESULT_TTL, failure_ttl=queues.FAILURE_TTL,
    )


def refresh_all_shops() -> int:
    """The daily job: one refresh per shop that excludes collections; a collection's products change."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        shop_ids = sorted({rule.shop_id for rule in purchase_rules_excluding_collections(session)})
    for shop_id in shop_ids:
        enqueue_refresh(ctx.redis, shop_id)
    return len(shop_ids)


def refresh_shop(shop_id: str) -> int:
    """Each of the shop's rules' collections read with no transaction open, then kept in one; returns
    how many rules were updated. A shop without a working token waits for the next run."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return 0
        wanted = {rule.id: list(rule.excluded_collection_ids) for rule in purchase_rules_excluding_collections(
            session, shop_id)}
        try:
            client = shopify_client(ctx, shop)
        except (AwaitingReconnect, Skipped):
            return 0
    products: dict[str, list[str]] = {}
    try:
        for collection_id in sorted({c for collections in wanted.values() for c in collections}):
            products[collection_id] = _products(client.execute, collection_id)
    except AwaitingReconnect:
        return 0
    updated = 0
    with ctx.sessions.begin() as session:
        for rule_id, collections in wanted.items():
            rule = session.scalars(select(EarningRule).where(EarningRule.shop_id == shop_id, EarningRule.id == rule_id)
                                   .with_for_update()).first()
            found = [product for collection in collections for product in products[collection]]
            if rule is not None and set_collection_products(session, rule, collections, found):
                updated += 1
    return updated


def _products(execute: Any, collection_id: str) -> list[str]:
    variables: dict[str, Any] = {"id": f"gid://shopify/Collection/{collection_id}", "first": PAGE_SIZE, "after": None}
    found: list[str] = []
    for _ in range(MAX_PAGES):
        collection = execute(COLLECTION_PRODUCTS_QUERY, variables, cost=PAGE_COST)["collection"]
        if collection is None:  # deleted in Shopify: it excludes nothing any more
            return found
        page = collection["products"]
        found += [shopify_id(node["legacyResourceId"]) for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = page["pageInfo"]["endCursor"]
    return found
