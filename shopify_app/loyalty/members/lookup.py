"""Finding a shop's customer by Shopify id or email."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, FromClause, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from shopify_app.errors import NotFound, quote
from shopify_app.models import Customer
from shopify_app.models.customer import oldest_first

GID_PREFIX = "gid://shopify/Customer/"
BY_SHOPIFY_ID, BY_EMAIL = "shopify_id", "email"

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_shop_customers = select(Customer).options(joinedload(Customer.vip_tier)).where(Customer.shop_id == bindparam("shop"))
_BY_SHOPIFY_ID = _shop_customers.where(Customer.shopify_customer_id == bindparam("value")).limit(1)
_BY_EMAIL = (
    _shop_customers.where(Customer.email_normalized == bindparam("value"))
    .order_by(*oldest_first(Customer.__table__)).limit(1)
)


def normalize_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def read_identifier(identifier: str) -> tuple[str, str | None]:
    """How an identifier names a customer: (BY_SHOPIFY_ID, a Shopify customer id, plain or from a
    GID) or (BY_EMAIL, the normalized email); (BY_SHOPIFY_ID, None), which names no one, otherwise."""
    value = identifier.strip()
    if value.startswith(GID_PREFIX):
        value = value[len(GID_PREFIX):]
    if value.isdigit():
        return BY_SHOPIFY_ID, value
    if "@" in value and (email := normalize_email(value)):
        return BY_EMAIL, email
    return BY_SHOPIFY_ID, None


def parse_identifier(identifier: str) -> tuple[str, str]:
    """``read_identifier``, with NotFound for an identifier that names no one."""
    kind, value = read_identifier(identifier)
    if value is None:
        raise customer_not_found(identifier)
    return kind, value


def customer_not_found(identifier: str) -> NotFound:
    """The one answer for a customer no identifier finds, quoting at most the allowed length of it."""
    return NotFound(f"Customer '{quote(identifier)}' not found")


def customer_filter(kind: str) -> Callable[[FromClause], ColumnElement[bool]]:
    """The condition on the customers table that ``read_identifier``'s kind means, its value the
    ``value`` parameter."""
    column = "shopify_customer_id" if kind == BY_SHOPIFY_ID else "email_normalized"
    return lambda customers: customers.c[column] == bindparam("value")


def find_customer(session: Session, shop_id: str, identifier: str) -> Customer:
    """The customer named by a Shopify customer id (plain or GID) or an email, any letter case."""
    kind, value = parse_identifier(identifier)
    query = _BY_SHOPIFY_ID if kind == BY_SHOPIFY_ID else _BY_EMAIL
    customer = session.scalars(query, {"shop": shop_id, "value": value}).first()
    if customer is None:
        raise customer_not_found(identifier)
    return customer


def find_customers(session: Session, shop_id: str, identifiers: Iterable[str]) -> dict[str, Customer]:
    """``find_customer`` for many identifiers in one query: identifier -> customer, the unknown left out."""
    keys: dict[str, tuple[str, str]] = {}
    for identifier in identifiers:
        try:
            keys[identifier] = parse_identifier(identifier)
        except NotFound:
            continue
    if not keys:
        return {}
    shopify_ids = {value for kind, value in keys.values() if kind == BY_SHOPIFY_ID}
    emails = {value for kind, value in keys.values() if kind == BY_EMAIL}
    found: dict[tuple[str, str], Customer] = {}
    # Oldest first, as find_customer takes the oldest of customers sharing an email.
    for customer in session.scalars(
        select(Customer).where(Customer.shop_id == shop_id, or_(Customer.shopify_customer_id.in_(shopify_ids),
                                                               Customer.email_normalized.in_(emails)))
        .order_by(*oldest_first(Customer.__table__))
    ):
        found.setdefault((BY_SHOPIFY_ID, customer.shopify_customer_id), customer)
        if customer.email_normalized:
            found.setdefault((BY_EMAIL, customer.email_normalized), customer)
    return {identifier: found[key] for identifier, key in keys.items() if key in found}
