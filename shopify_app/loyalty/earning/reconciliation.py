"""Order reconciliation: webhooks may never arrive, so each shop's recently updated orders are
read through the GraphQL Admin API and fed to the same idempotent handlers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from shopify_app.loyalty.earning import orders
from shopify_app.loyalty.earning.commands import (
    OrderCancelled,
    OrderLine,
    OrderPaid,
    OrderRefunded,
    Refund,
    RefundedLine,
    RefundTransaction,
)
from shopify_app.loyalty.members.enrolment import ShopifyCustomer
from shopify_app.models import Shop, ShopSyncState
from shopify_app.shopify.payloads import parse_time, shopify_id

# execute(shop, query, variables) -> the response's ``data``; raises on errors (the GraphQL
# client waits out throttling and retries before it gives up).
Execute = Callable[[Shop, str, dict[str, Any]], dict[str, Any]]

# Each run reads again what changed shortly before the last one: an order written just as the
# previous run read may not have been visible to it.
OVERLAP = dt.timedelta(minutes=15)
PAGE_SIZE = 4  # with the nested lines and refunds, a page costs about 800 of the 1,000-point query limit
PAGE_COST = 800
MAX_PAGES = 50
PAID_STATUSES = {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"}

ORDERS_QUERY = """
query ReconcileOrders($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      legacyResourceId name updatedAt cancelledAt displayFinancialStatus taxesIncluded
      subtotalPriceSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      customer { id defaultEmailAddress { emailAddress } firstName lastName createdAt tags }
      purchasingEntity { __typename }
      lineItems(first: 25) {
        pageInfo { hasNextPage }
        nodes {
          id isGiftCard quantity product { legacyResourceId }
          originalUnitPriceSet { shopMoney { amount } }
          discountAllocations { allocatedAmountSet { shopMoney { amount } } }
        }
      }
      refunds(first: 5) {
        id
        refundLineItems(first: 10) { nodes { lineItem { id } subtotalSet { shopMoney { amount } } } }
        transactions(first: 5) { nodes { kind status amountSet { shopMoney { amount } } } }
      }
    }
  }
}
"""


def _money(value: dict[str, Any] | None) -> Decimal:
    return Decimal(str(((value or {}).get("shopMoney") or {}).get("amount") or "0"))


def _customer(node: dict[str, Any] | None) -> ShopifyCustomer | None:
    if not node:
        return None
    return ShopifyCustomer(
        id=shopify_id(node["id"]), email=(node.get("defaultEmailAddress") or {}).get("emailAddress"),
        first_name=node.get("firstName"), last_name=node.get("lastName"), created_at=parse_time(node.get("createdAt")),
    )


def _refund(node: dict[str, Any]) -> Refund:
    return Refund(
        id=shopify_id(node["id"]),
        lines=tuple(RefundedLine(subtotal=_money(line.get("subtotalSet")), line_item_id=_line_item_id(line))
                    for line in node["refundLineItems"]["nodes"]),
        transactions=tuple(
            RefundTransaction(kind=t["kind"].lower(), status=t["status"].lower(), amount=_money(t["amountSet"]))
            for t in node["transactions"]["nodes"]
        ),
    )


def _line_item_id(refund_line: dict[str, Any]) -> str | None:
    line_item = refund_line.get("lineItem")
    return shopify_id(line_item["id"]) if line_item else None


def _lines(node: dict[str, Any] | None) -> tuple[OrderLine, ...]:
    """The order's lines; none (the whole order counted) when it has more than one page of them."""
    if not node or node["pageInfo"]["hasNextPage"]:
        return ()
    return tuple(
        OrderLine(
            id=shopify_id(line["id"]), gift_card=bool(line.get("isGiftCard")),
            product_id=(line.get("product") or {}).get("legacyResourceId"),
            value=max(_money(line.get("originalUnitPriceSet")) * int(line.get("quantity") or 0) - sum(
                (_money(allocation.get("allocatedAmountSet")) for allocation in line.get("discountAllocations") or []),
                Decimal(0)), Decimal(0)),
        )
        for line in node["nodes"]
    )


def apply_order(session: Session, shop: Shop, node: dict[str, Any]) -> None:
    """A GraphQL order given to the order functions as the webhooks' commands."""
    order_id = shopify_id(node["legacyResourceId"])
    refunds = tuple(_refund(refund) for refund in node.get("refunds") or [])
    paid = node.get("displayFinancialStatus") in PAID_STATUSES
    if paid:
        orders.order_paid(session, shop, OrderPaid(
            id=order_id, name=node.get("name"), subtotal_price=_money(node.get("subtotalPriceSet")),
            total_tax=_money(node.get("totalTaxSet")), taxes_included=bool(node.get("taxesIncluded")),
            customer=_customer(node.get("customer")), refunds=refunds, lines=_lines(node.get("lineItems")),
            customer_tags=frozenset((node.get("customer") or {}).get("tags") or ()),
            b2b=(node.get("purchasingEntity") or {}).get("__typename") == "PurchasingCompany",
        ))
    if node.get("cancelledAt"):
        orders.order_cancelled(session, shop, OrderCancelled(
            id=order_id, cancelled_at=parse_time(node["cancelledAt"]), refunds=refunds))
    elif not paid:  # paid and cancelled orders record the refunds they list themselves
        for refund in refunds:
            orders.refund_created(session, shop, OrderRefunded(order_id=order_id, refund=refund))


@dataclass(frozen=True)
class OrdersRead:
    """What one run read from Shopify: the order nodes, and how far the next run may start from."""

    nodes: list[dict[str, Any]]
    through: dt.datetime


def window_start(session: Session, shop_id: str, now: dt.datetime) -> dt.datetime:
    """Where this run reads from: the shop's last run (minus the overlap), or now on the first: orders
    from before the install earn only when the merchant gives points for them (``past_orders``)."""
    state = session.get(ShopSyncState, shop_id)
    reconciled = state.orders_reconciled_through if state is not None else None
    return reconciled - OVERLAP if reconciled is not None else now


def read_orders(shop: Shop, execute: Execute, since: dt.datetime, now: dt.datetime, *,
                max_pages: int = MAX_PAGES) -> OrdersRead:
    """Every order updated since ``since``, page by page; no database is touched (no transaction
    waits on Shopify). Past ``max_pages`` the next run goes on from the last order read."""
    variables: dict[str, Any] = {"first": PAGE_SIZE, "after": None,
                                 "query": f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"}
    nodes: list[dict[str, Any]] = []
    for _ in range(max_pages):
        page = execute(shop, ORDERS_QUERY, variables)["orders"]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return OrdersRead(nodes, now)
        variables["after"] = page["pageInfo"]["endCursor"]
    return OrdersRead(nodes, max(since + OVERLAP, _updated_at(nodes[-1]) if nodes else since + OVERLAP))


def apply_orders(session: Session, shop: Shop, read: OrdersRead) -> int:
    """Feed every order read to the handlers and keep how far this run got; returns how many."""
    for node in read.nodes:
        apply_order(session, shop, node)
    state = session.get(ShopSyncState, shop.id) or ShopSyncState(shop_id=shop.id)
    session.add(state)
    state.orders_reconciled_through = read.through
    return len(read.nodes)


def _updated_at(node: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(node["updatedAt"]).replace("Z", "+00:00"))
