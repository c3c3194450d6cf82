"""What the earning functions take: paid, cancelled and refunded orders, and email-marketing consent,
as Shopify reports them, typed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shopify_app.loyalty.members.enrolment import ShopifyCustomer


@dataclass(frozen=True)
class RefundTransaction:
    kind: str | None
    status: str | None
    amount: Decimal


@dataclass(frozen=True)
class RefundedLine:
    """A refund's line: the subtotal it gives back of the order's line ``line_item_id`` (None: not said)."""

    subtotal: Decimal
    line_item_id: str | None = None


@dataclass(frozen=True)
class Refund:
    """One refund of an order: its Shopify id (digits), its lines, its transactions."""

    id: str
    lines: tuple[RefundedLine, ...] = ()
    transactions: tuple[RefundTransaction, ...] = ()


@dataclass(frozen=True)
class OrderLine:
    """A line of an order: ``value`` is its price times quantity less the discounts allocated to it."""

    id: str
    value: Decimal
    product_id: str | None = None
    gift_card: bool = False


@dataclass(frozen=True)
class OrderPaid:
    """orders/paid (or a paid order read by reconciliation); ``id`` is the order's Shopify id."""

    id: str
    subtotal_price: Decimal
    total_tax: Decimal | None = None
    taxes_included: bool = False
    name: str | None = None
    order_number: int | None = None
    # None for a guest order, or one whose customer was erased.
    customer: ShopifyCustomer | None = None
    refunds: tuple[Refund, ...] = ()
    # No lines: an order as older events and tests report it, all of it eligible.
    lines: tuple[OrderLine, ...] = ()
    customer_tags: frozenset[str] = frozenset()
    # Placed for a company (B2B).
    b2b: bool = False


@dataclass(frozen=True)
class OrderCancelled:
    id: str
    cancelled_at: dt.datetime | None = None
    refunds: tuple[Refund, ...] = ()


@dataclass(frozen=True)
class OrderRefunded:
    """refunds/create: one refund of the order ``order_id``."""

    order_id: str
    refund: Refund


@dataclass(frozen=True)
class EmailConsentUpdated:
    """customers_email_marketing_consent/update: ``state`` as Shopify names it (``subscribed``, ``pending``…)."""

    customer_id: str
    email: str | None
    state: str | None
