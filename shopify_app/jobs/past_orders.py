"""Points for past orders, on the merchant's choice: the orders of the last N days read through the
Admin API (no transaction open), then previewed or given in one transaction; from the CLI, or as the
admin's jobs with their outcome kept in bulk_jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shopify_app.clock import utcnow
from shopify_app.errors import BadRequest, NotFound
from shopify_app.jobs import bulk, runtime
from shopify_app.jobs.destinations import shopify_client
from shopify_app.loyalty.earning.past_orders import PastOrders, give_points
from shopify_app.loyalty.earning.reconciliation import PAGE_COST, Execute, read_orders
from shopify_app.models import BulkJob, BulkJobKind, Shop

MAX_DAYS = 365
# 4 orders a page: up to 20,000 orders.
MAX_PAGES = 5000


def past_orders(sessions: sessionmaker[Session], shop_id: str, execute: Execute, days: int, *,
                preview: bool) -> PastOrders:
    """Preview (nothing written) or give the points of the orders updated in the last ``days`` days."""
    if not 0 <= days <= MAX_DAYS:
        raise BadRequest(f"Choose from 0 to {MAX_DAYS} days")
    now = utcnow()
    with sessions() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            raise NotFound("The shop has no loyalty program")
        session.expunge(shop)  # read by ``execute`` (its id and domain) after the session is gone
    read = read_orders(shop, execute, now - dt.timedelta(days=days), now, max_pages=MAX_PAGES) if days else None
    with sessions() as session:
        outcome = give_points(session, session.get_one(Shop, shop_id), read.nodes if read else [])
        # A preview is the run itself, undone: what it reports is what the run then issues.
        if preview:
            session.rollback()
        else:
            session.commit()
    return outcome


def run_past_orders_job(bulk_job_id: str) -> None:
    """The admin's preview (``past_orders_preview``) or run (``past_orders``) of its days."""
    ctx = runtime.context()

    def execute(shop: Shop, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return shopify_client(ctx, shop).execute(query, variables, cost=PAGE_COST)

    def body(sessions: sessionmaker[Session], job: BulkJob) -> dict[str, int]:
        days = int((job.params or {})["days"])
        outcome = past_orders(sessions, job.shop_id, execute, days,
                              preview=job.kind == BulkJobKind.PAST_ORDERS_PREVIEW.value)
        with sessions.begin() as session:
            bulk.add_progress(session, job.id, outcome.orders, total=outcome.orders)
        return {"days": days, "orders": outcome.orders, "members": outcome.members, "points": outcome.points}

    bulk.run_tracked(bulk_job_id, body)
