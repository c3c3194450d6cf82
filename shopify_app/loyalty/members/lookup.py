"""Finding a shop's customer by Shopify id or email."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, FromClause, bindparam, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.errors import NotFound
from shopify_app.models import Customer

GID_PREFIX = "gid://shopify/Customer/"
SHOPIFY_ID = "shopify_id"
EMAIL = "email"

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_shop_customers = select(Customer).options(joinedload(Customer.vip_tier)).where(Customer.shop_id == bindparam("shop"))
_BY_SHOPIFY_ID = _shop_customers.where(Customer.shopify_customer_id == bindparam("value")).limit(1)
_BY_EMAIL = (
    _shop_customers.where(Customer.email_normalized == bindparam("value")).order_by(Customer.created_at).limit(1)
)


def normalize_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def parse_identifier(identifier: str) -> tuple[str, str | None]:
    """How an identifier names a customer: ("shopify_id", a Shopify customer id, plain or from a
    GID) or ("email", the normalized email); ("shopify_id", None), which names no one, otherwise."""
    value = identifier.strip()
    if value.startswith(GID_PREFIX):
        value = value[len(GID_PREFIX):]
    if value.isdigit():
        return SHOPIFY_ID, value
    if "@" in value and (email := normalize_email(value)):
        return EMAIL, email
    return SHOPIFY_ID, None


def customer_filter(kind: str) -> Callable[[FromClause], ColumnElement[bool]]:
    """The condition on the customers table that ``parse_identifier``'s kind means, its value the
    ``value`` parameter."""
    column = "shopify_customer_id" if kind == SHOPIFY_ID else "email_normalized"
    return lambda customers: customers.c[column] == bindparam("value")


def find_customer(session: Session, shop_id: str, identifier: str) -> Customer:
    """The customer named by a Shopify customer id (plain or GID) or an email, any letter case."""
    kind, value = parse_identifier(identifier)
    if value is None:
        raise NotFound(f"Customer '{identifier}' not found")
    query = _BY_SHOPIFY_ID if kind == SHOPIFY_ID else _BY_EMAIL
    customer = session.scalars(query, {"shop": shop_id, "value": value}).first()
    if customer is None:
        raise NotFound(f"Customer '{identifier}' not found")
    return customer
