"""Points for orders from before the install, given only on purpose: previewed first (members
affected, points to issue), then given through the same order handler, so later refunds reverse them
and nothing counts twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.loyalty.earning.reconciliation import apply_order
from shopify_app.models import EarningEntry, Shop
from shopify_app.shopify.payloads import shopify_id


@dataclass(frozen=True)
class PastOrders:
    """What giving points for the orders read does (or did): how many orders, members and points."""

    orders: int
    members: int
    points: int


def give_points(session: Session, shop: Shop, nodes: list[dict[str, Any]]) -> PastOrders:
    """Each order read from the Admin API through the order handler, and what that issued. A preview
    is this very call in a transaction the caller rolls back, so it reports what the real run issues."""
    order_ids = [shopify_id(node["legacyResourceId"]) for node in nodes]
    before = set(_entries(session, shop, order_ids))
    for node in nodes:
        apply_order(session, shop, node)
    session.flush()
    new = {entry_id: row for entry_id, row in _entries(session, shop, order_ids).items() if entry_id not in before}
    return PastOrders(orders=len(nodes), members=len({customer for customer, _ in new.values()}),
                      points=sum(points for _, points in new.values()))


def _entries(session: Session, shop: Shop, order_ids: list[str]) -> dict[str, tuple[str, int]]:
    """The ledger entries of these orders: id -> (customer, points)."""
    if not order_ids:
        return {}
    rows = session.execute(select(EarningEntry.id, EarningEntry.customer_id, EarningEntry.points).where(
        EarningEntry.shop_id == shop.id, EarningEntry.order_id.in_(order_ids)))
    return {entry_id: (customer_id, points) for entry_id, customer_id, points in rows}
