"""Finding a shop's customer by Shopify id or email."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.errors import NotFound
from shopify_app.models import Customer

GID_PREFIX = "gid://shopify/Customer/"

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_shop_customers = select(Customer).options(joinedload(Customer.vip_tier)).where(Customer.shop_id == bindparam("shop"))
_BY_SHOPIFY_ID = _shop_customers.where(Customer.shopify_customer_id == bindparam("value")).limit(1)
_BY_EMAIL = (
    _shop_customers.where(Customer.email_normalized == bindparam("value")).order_by(Customer.created_at).limit(1)
)


def normalize_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def find_customer(session: Session, shop_id: str, identifier: str) -> Customer:
    """The customer named by a Shopify customer id (plain or GID) or an email, any letter case."""
    key = identifier_key(identifier)
    customer = None
    if key is not None:
        by_shopify_id, value = key
        query = _BY_SHOPIFY_ID if by_shopify_id else _BY_EMAIL
        customer = session.scalars(query, {"shop": shop_id, "value": value}).first()
    if customer is None:
        raise NotFound(f"Customer '{identifier}' not found")
    return customer


def identifier_key(identifier: str) -> tuple[bool, str] | None:
    """(True, Shopify id) or (False, normalized email) for an identifier, None when it is neither."""
    value = identifier.strip()
    if value.startswith(GID_PREFIX):
        value = value[len(GID_PREFIX):]
    if value.isdigit():
        return True, value
    if "@" in value and (email := normalize_email(value)):
        return False, email
    return None


def find_customers(session: Session, shop_id: str, identifiers: Iterable[str]) -> dict[str, Customer]:
    """``find_customer`` for many identifiers in one query: identifier -> customer, the unknown left out."""
    keys = {identifier: key for identifier in identifiers if (key := identifier_key(identifier))}
    shopify_ids = {value for by_id, value in keys.values() if by_id}
    emails = {value for by_id, value in keys.values() if not by_id}
    if not keys:
        return {}
    found: dict[tuple[bool, str], Customer] = {}
    # Oldest first, as find_customer takes the oldest of customers sharing an email.
    for customer in session.scalars(
        select(Customer).where(Customer.shop_id == shop_id, or_(Customer.shopify_customer_id.in_(shopify_ids),
                                                               Customer.email_normalized.in_(emails)))
        .order_by(Customer.created_at, Customer.id)
    ):
        found.setdefault((True, customer.shopify_customer_id), customer)
        if customer.email_normalized:
            found.setdefault((False, customer.email_normalized), customer)
    return {identifier: found[key] for identifier, key in keys.items() if key in found}
