"""The directory of members: the admin's search, one customer's ledger and activity, a shopper's history pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.loyalty.members.lookup import GID_PREFIX, normalize_email
from shopify_app.models import ActivityLogEntry, Customer, EarningEntry, EntryStatus
from shopify_app.paging import Page as ListPage
from shopify_app.paging import PageRequest, read_page

PAGE_SIZE = 25
LEDGER_LIMIT = 100
ACTIVITY_LIMIT = 30
STATUSES = tuple(s.value for s in EntryStatus)
MAX_PAGE_SIZE = 50


@dataclass
class Page:
    customers: list[Customer]
    page: int
    has_next: bool
    # Set only for a page past the end (``?page=999``): the last page that has customers.
    last_page: int = 0


@dataclass(frozen=True)
class HistoryPage:
    entries: list[EarningEntry]
    total: int
    page: int
    per_page: int


def search(session: Session, shop_id: str, query: str, page: int = 1) -> Page:
    """Customers matching an email (prefix), a name (part of it) or an id, newest first.

    One row more than a page is read to know whether there is a next page, so no COUNT
    over the whole shop is needed."""
    ids = select(Customer.id).where(Customer.shop_id == shop_id)
    value = query.strip()
    if value.startswith(GID_PREFIX):
        value = value[len(GID_PREFIX):]
    if value.isdigit():
        ids = ids.where(Customer.shopify_customer_id == value)
    elif value.startswith("cus_"):
        ids = ids.where(Customer.id == value)
    elif "@" in value:
        ids = ids.where(Customer.email_normalized.startswith(normalize_email(value), autoescape=True))
    elif value:
        pattern = f"%{value.lower()}%"
        full_name = func.lower(func.coalesce(Customer.first_name, "") + " " + func.coalesce(Customer.last_name, ""))
        ids = ids.where(or_(full_name.like(pattern), Customer.email_normalized.like(pattern)))
    page = max(page, 1)
    newest_first = (Customer.created_at.desc(), Customer.id.desc())
    # The page's ids come from the (shop_id, created_at, id) index alone; only those rows are read,
    # so a deep page does not fetch every row it skips.
    page_ids = ids.order_by(*newest_first).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1).subquery()
    rows = list(
        session.scalars(
            select(Customer).options(joinedload(Customer.vip_tier))
            .join(page_ids, page_ids.c.id == Customer.id)
            .order_by(*newest_first)
        )
    )
    last_page = 0
    if not rows and page > 1:
        # Counted only here, past the end, to say where the end is.
        matches = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        last_page = max(1, -(-matches // PAGE_SIZE))
    return Page(customers=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, last_page=last_page)


def ledger(session: Session, customer: Customer, status: str | None) -> list[EarningEntry]:
    statement = (
        select(EarningEntry)
        .options(joinedload(EarningEntry.earning_rule))
        .where(EarningEntry.customer_id == customer.id)
    )
    if status in STATUSES:
        statement = statement.where(EarningEntry.status == status)
    return list(session.scalars(statement.order_by(EarningEntry.created_at.desc()).limit(LEDGER_LIMIT)))


def activity(session: Session, customer: Customer) -> list[ActivityLogEntry]:
    return list(
        session.scalars(
            select(ActivityLogEntry)
            .where(ActivityLogEntry.customer_id == customer.id)
            .order_by(ActivityLogEntry.created_at.desc())
            .limit(ACTIVITY_LIMIT)
        )
    )


def history(session: Session, customer: Customer, *, page: int, per_page: int) -> HistoryPage:
    """One page of the customer's ledger, newest first."""
    per_page = min(max(per_page, 1), MAX_PAGE_SIZE)
    page = max(page, 1)
    total = session.scalar(select(func.count()).where(EarningEntry.customer_id == customer.id)) or 0
    entries = session.scalars(
        select(EarningEntry)
        .where(EarningEntry.customer_id == customer.id)
        .order_by(EarningEntry.created_at.desc(), EarningEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return HistoryPage(entries=list(entries), total=total, page=page, per_page=per_page)


def list_customers(session: Session, shop_id: str, request: PageRequest, *, email: str | None = None,
                   excluded: bool | None = None) -> ListPage[Customer]:
    """One page of the shop's customers; ``email`` matches any part of the address, in any case."""
    ids = select(Customer.id).where(Customer.shop_id == shop_id)
    if email is not None:
        ids = ids.where(Customer.email_normalized.contains(email.strip().lower(), autoescape=True))
    if excluded is not None:
        ids = ids.where(Customer.is_excluded.is_(excluded))
    return read_page(session, Customer, ids, request, joinedload(Customer.vip_tier))


def earning_history(session: Session, customer: Customer, request: PageRequest, *,
                    status: str | None = None) -> ListPage[EarningEntry]:
    """One page of the customer's ledger entries, of one status if given."""
    ids = select(EarningEntry.id).where(EarningEntry.customer_id == customer.id)
    if status is not None:
        ids = ids.where(EarningEntry.status == status)
    return read_page(session, EarningEntry, ids, request)


def shop_activity(session: Session, shop_id: str, request: PageRequest, *, customer_id: str | None = None,
                  kind: str | None = None, since: dt.datetime | None = None) -> ListPage[ActivityLogEntry]:
    """One page of the shop's activity log: every ledger and reward event, of one customer or kind if given."""
    ids = select(ActivityLogEntry.id).where(ActivityLogEntry.shop_id == shop_id)
    if customer_id is not None:
        ids = ids.where(ActivityLogEntry.customer_id == customer_id)
    if kind is not None:
        ids = ids.where(ActivityLogEntry.kind == kind)
    if since is not None:
        ids = ids.where(ActivityLogEntry.created_at >= since)
    return read_page(session, ActivityLogEntry, ids, request)


def shopify_ids(session: Session, customer_ids: set[str]) -> dict[str, str]:
    """Customers' Shopify ids by our ids."""
    if not customer_ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.shopify_customer_id).where(Customer.id.in_(customer_ids)))
    return {customer_id: shopify_id for customer_id, shopify_id in rows}
