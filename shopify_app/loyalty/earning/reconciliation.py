"""Order reconciliation: webhooks may never arrive, so each shop's recently updated orders are
read through the GraphQL Admin API and fed to the same idempotent handlers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.earning import orders
from shopify_app.models import Shop, ShopSyncState

# execute(shop, query, variables) -> the response's ``data``; raises on errors (the GraphQL
# client waits out throttling and retries before it gives up).
Execute = Callable[[Shop, str, dict[str, Any]], dict[str, Any]]

# Each run reads again what changed shortly before the last one: an order written just as the
# previous run read may not have been visible to it.
OVERLAP = dt.timedelta(minutes=15)
FIRST_RUN_LOOKBACK = dt.timedelta(days=1)
PAGE_SIZE = 10  # with the nested refunds, a page costs about 800 of the 1,000-point query limit
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
      customer { id defaultEmailAddress { emailAddress } firstName lastName createdAt }
      refunds(first: 5) {
        id
        refundLineItems(first: 10) { nodes { subtotalSet { shopMoney { amount } } } }
        transactions(first: 5) { nodes { kind status amountSet { shopMoney { amount } } } }
      }
    }
  }
}
"""


def _money(value: dict[str, Any] | None) -> str:
    return str(((value or {}).get("shopMoney") or {}).get("amount") or "0")


def order_payload(node: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL order in the shape of the orders/* webhook payload the handlers read."""
    customer = node.get("customer")
    return {
        "id": node["legacyResourceId"], "name": node.get("name"), "cancelled_at": node.get("cancelledAt"),
        "subtotal_price": _money(node.get("subtotalPriceSet")), "total_tax": _money(node.get("totalTaxSet")),
        "taxes_included": bool(node.get("taxesIncluded")),
        "customer": customer and {"id": customer["id"],
                                  "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"),
                                  "first_name": customer.get("firstName"), "last_name": customer.get("lastName"),
                                  "created_at": customer.get("createdAt")},
        "refunds": [{
            "id": refund["id"], "order_id": node["legacyResourceId"],
            "refund_line_items": [{"subtotal": _money(line.get("subtotalSet"))}
                                  for line in refund["refundLineItems"]["nodes"]],
            "transactions": [{"kind": t["kind"].lower(), "status": t["status"].lower(),
                              "amount": _money(t["amountSet"])}
                             for t in refund["transactions"]["nodes"]],
        } for refund in node.get("refunds") or []],
    }


def apply_order(session: Session, shop: Shop, node: dict[str, Any]) -> None:
    payload = order_payload(node)
    paid = node.get("displayFinancialStatus") in PAID_STATUSES
    if paid:
        orders.order_paid(session, shop, payload)
    if node.get("cancelledAt"):
        orders.order_cancelled(session, shop, payload)
    elif not paid:  # paid and cancelled orders record the refunds they list themselves
        for refund in payload["refunds"]:
            orders.refund_created(session, shop, refund)


def reconcile_orders(session: Session, shop: Shop, execute: Execute, *, now: dt.datetime | None = None) -> int:
    """Apply every order updated since the shop's last run (minus the overlap); returns how many."""
    now = now or utcnow()
    state = session.get(ShopSyncState, shop.id) or ShopSyncState(shop_id=shop.id)
    session.add(state)
    since = (state.orders_reconciled_through or now - FIRST_RUN_LOOKBACK) - OVERLAP
    variables: dict[str, Any] = {"first": PAGE_SIZE, "after": None,
                                 "query": f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"}
    seen, through = 0, now
    for _ in range(MAX_PAGES):
        page = execute(shop, ORDERS_QUERY, variables)["orders"]
        for node in page["nodes"]:
            apply_order(session, shop, node)
            seen += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = page["pageInfo"]["endCursor"]
    else:  # more than one run can read: the next run goes on from the last order read
        through = max(since + OVERLAP, _updated_at(page["nodes"][-1]) if page["nodes"] else since + OVERLAP)
    state.orders_reconciled_through = through
    return seen


def _updated_at(node: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(node["updatedAt"]).replace("Z", "+00:00"))
