"""Data-request exports: everything held about a customer (customers/data_request), as the admin lists them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import isoformat_z, utcnow
from shopify_app.ids import new_id
from shopify_app.loyalty.members.birthdays import birthday_of
from shopify_app.loyalty.members.enrolment import find_member
from shopify_app.models import ActivityLogEntry, Customer, CustomerDataExport, EarningEntry, Shop, ShopifyOrder
from shopify_app.shopify.webhook_payloads import CustomersDataRequest
from shopify_app.shops.lookup import get_owned
from shopify_app.upserts import insert_new


def export_customer(session: Session, shop: Shop, request: CustomersDataRequest, *,
                    now: dt.datetime | None = None) -> None:
    """customers/data_request: everything held about the customer, stored once per request id."""
    customer_id = request.customer.id
    customer = find_member(session, shop, customer_id)
    data: dict[str, Any] = {"shop": shop.domain, "shopify_customer_id": customer_id,
                            "exported_at": isoformat_z(now or utcnow()), "customer": None}
    if customer is not None:
        data.update(customer=_profile(customer), ledger=_ledger(session, customer),
                    activity=_activity(session, customer), orders=_orders(session, shop, customer))
    insert_new(session, CustomerDataExport, dict(
        id=new_id("exp"), shop_id=shop.id, shopify_customer_id=data["shopify_customer_id"],
        data_request_id=request.data_request.id,
        data=data, created_at=now or utcnow(),
    ), ["shop_id", "data_request_id"])


def _profile(customer: Customer) -> dict[str, Any]:
    birthday = birthday_of(customer)
    return {
        "email": customer.email, "first_name": customer.first_name, "last_name": customer.last_name,
        "date_of_birth": birthday.isoformat() if birthday else None,
        "date_of_birth_changed_at": isoformat_z(customer.date_of_birth_changed_at),
        "shopify_created_at": isoformat_z(customer.shopify_created_at), "enrolled_at": isoformat_z(customer.created_at),
        "loyalty_status": customer.loyalty_status, "points_balance": customer.current_points,
        "lifetime_points": customer.lifetime_points, "redeemed_points": customer.redeemed_points,
        "vip_tier": customer.vip_tier.name if customer.vip_tier else None,
    }


def _ledger(session: Session, customer: Customer) -> list[dict[str, Any]]:
    entries = session.scalars(select(EarningEntry).where(EarningEntry.customer_id == customer.id)
                              .order_by(EarningEntry.created_at, EarningEntry.id))
    return [{"id": e.id, "action": e.action, "source": e.source, "points": e.points, "status": e.status,
             "order_id": e.order_id, "order_number": e.order_number, "note": e.note,
             "created_at": isoformat_z(e.created_at), "points_expiry_at": isoformat_z(e.points_expiry_at)}
            for e in entries]


def _activity(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(select(ActivityLogEntry).where(ActivityLogEntry.customer_id == customer.id)
                           .order_by(ActivityLogEntry.created_at, ActivityLogEntry.id))
    return [{"kind": a.kind, "message": a.message, "created_at": isoformat_z(a.created_at)} for a in rows]


def _orders(session: Session, shop: Shop, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(select(ShopifyOrder).where(
        ShopifyOrder.shop_id == shop.id, ShopifyOrder.shopify_customer_id == customer.shopify_customer_id))
    return [{"order_id": o.shopify_order_id, "order_number": o.order_number, "paid_at": isoformat_z(o.paid_at),
             "cancelled_at": isoformat_z(o.cancelled_at)} for o in rows]


EXPORTS_LISTED = 200


def exports(session: Session, shop_id: str) -> list[CustomerDataExport]:
    """The shop's data-request exports, newest first, as the admin lists them."""
    return list(
        session.scalars(
            select(CustomerDataExport).where(CustomerDataExport.shop_id == shop_id)
            .order_by(CustomerDataExport.created_at.desc()).limit(EXPORTS_LISTED)
        )
    )


def get_export(session: Session, shop_id: str, export_id: str) -> CustomerDataExport:
    return get_owned(session, CustomerDataExport, shop_id, export_id, "Export")
