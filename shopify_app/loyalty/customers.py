"""Finding a shop's customer by Shopify id or email."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from shopify_app.errors import NotFound
from shopify_app.models import Customer

GID_PREFIX = "gid://shopify/Customer/"


def normalize_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def find_customer(session: Session, shop_id: str, identifier: str) -> Customer:
    """The customer named by a Shopify customer id (plain or GID) or an email, any letter case."""
    value = identifier.strip()
    if value.startswith(GID_PREFIX):
        value = value[len(GID_PREFIX):]
    query = select(Customer).options(joinedload(Customer.vip_tier)).where(Customer.shop_id == shop_id)
    if value.isdigit():
        query = query.where(Customer.shopify_customer_id == value)
    elif "@" in value:
        query = query.where(Customer.email_normalized == normalize_email(value)).order_by(Customer.created_at)
    else:
        raise NotFound(f"Customer '{identifier}' not found")
    customer = session.scalars(query.limit(1)).first()
    if customer is None:
        raise NotFound(f"Customer '{identifier}' not found")
    return customer
