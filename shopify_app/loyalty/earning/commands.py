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
class Refund:
    """One refund of an order: its Shopify id (digits), its line items' subtotals, its transactions."""

    id: str
    line_subtotals: tuple[Decimal, ...] = ()
    transactions: tuple[RefundTransaction, ...] = ()


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
