"""Finding a shop's customer by Shopify id or email."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.errors import NotFound, quote
from shopify_app.models import Customer

GID_PREFIX = "gid://shopify/Customer/"
BY_SHOPIFY_ID, BY_EMAIL = "shopify_id", "email"

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_shop_customers = select(Customer).options(joinedload(Customer.vip_tier)).where(Customer.shop_id == bindparam("shop"))
_BY_SHOPIFY_ID = _shop_customers.where(Customer.shopify_customer_id == bindparam("value")).limit(1)
_BY_EMAIL = (
    _shop_customers.where(Customer.email_normalized == bindparam("value")).order_by(Customer.created_at).limit(1)
)


def normalize_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def parse_identifier(identifier: str) -> tuple[str, str]:
    """How a Shopify customer id (plain or GID) or an email names a customer: (BY_SHOPIFY_ID or BY_EMAIL,
    the value to look up); NotFound for anything else."""
    value = identifier.strip()
    if value.startswith(GID_PREFIX):
        value = value[len(GID_PREFIX):]
    if value.isdigit():
        return BY_SHOPIFY_ID, value
    if "@" in value and (email := normalize_email(value)):
        return BY_EMAIL, email
    raise NotFound(f"Customer '{quote(identifier)}' not found")


def find_customer(session: Session, shop_id: str, identifier: str) -> Customer:
    """The customer named by a Shopify customer id (plain or GID) or an email, any letter case."""
    kind, value = parse_identifier(identifier)
    query = _BY_SHOPIFY_ID if kind == BY_SHOPIFY_ID else _BY_EMAIL
    customer = session.scalars(query, {"shop": shop_id, "value": value}).first()
    if customer is None:
        raise NotFound(f"Customer '{quote(identifier)}' not found")
    return customer
