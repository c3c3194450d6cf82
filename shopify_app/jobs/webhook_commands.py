"""Each webhook topic's payload model handed to its handler as the typed command that handler takes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.earning import newsletter, orders, signup
from shopify_app.loyalty.earning.commands import (
    EmailConsentUpdated,
    OrderCancelled,
    OrderLine,
    OrderPaid,
    OrderRefunded,
    Refund,
    RefundedLine,
    RefundTransaction,
)
from shopify_app.loyalty.members import enrolment
from shopify_app.loyalty.members.enrolment import ShopifyCustomer
from shopify_app.loyalty.rewards import redemption
from shopify_app.models import Shop
from shopify_app.shopify import webhook_payloads as payloads


def customer(data: payloads.CustomerData) -> ShopifyCustomer:
    return ShopifyCustomer(id=data.id, email=data.email, first_name=data.first_name, last_name=data.last_name,
                           created_at=data.created_at, updated_at=data.updated_at)


def refund(data: payloads.Refund) -> Refund:
    return Refund(
        id=data.id,
        lines=tuple(RefundedLine(subtotal=line.subtotal or Decimal(0), line_item_id=line.line_item_id)
                    for line in data.refund_line_items),
        transactions=tuple(RefundTransaction(kind=t.kind, status=t.status, amount=t.amount or Decimal(0))
                           for t in data.transactions),
    )


def line(data: payloads.LineItem) -> OrderLine:
    discounts = sum((allocation.amount for allocation in data.discount_allocations), Decimal(0))
    return OrderLine(id=data.id, value=max(data.price * data.quantity - discounts, Decimal(0)),
                     product_id=data.product_id, gift_card=bool(data.gift_card))


def tags(text: str | None) -> frozenset[str]:
    """Shopify's comma-separated customer tags."""
    return frozenset(tag.strip() for tag in (text or "").split(",") if tag.strip())


def orders_paid(session: Session, shop: Shop, paid: list[payloads.OrderPaid]) -> None:
    """Paid orders of one shop applied together, each as alone. More than one: their buyers enrolled
    first, in one statement, so each order earns as a known member's (a lone order's buyer is enrolled
    as it earns, in fewer)."""
    commands = [order(data) for data in paid]
    buyers = [command.customer for command in commands if command.customer]
    if len(commands) > 1 and buyers:
        enrolment.enrol_new(session, shop, buyers)
    orders.orders_paid(session, shop, commands)
    for data in paid:
        if data.discount_codes:
            redemption.mark_used(session, shop.id, [d.code for d in data.discount_codes], order_id=data.id,
                                 used_at=data.processed_at or utcnow())


def order(data: payloads.OrderPaid) -> OrderPaid:
    return OrderPaid(
        id=data.id, subtotal_price=data.subtotal_price, total_tax=data.total_tax,
        taxes_included=bool(data.taxes_included), name=data.name, order_number=data.order_number,
        customer=customer(data.customer) if data.customer else None,
        refunds=tuple(refund(r) for r in data.refunds),
        lines=tuple(line(item) for item in data.line_items),
        customer_tags=tags(data.customer.tags if data.customer else None), b2b=data.company is not None,
    )


def order_cancelled(session: Session, shop: Shop, data: payloads.OrderCancelled) -> None:
    orders.order_cancelled(session, shop, OrderCancelled(
        id=data.id, cancelled_at=data.cancelled_at, refunds=tuple(refund(r) for r in data.refunds)))


def refund_created(session: Session, shop: Shop, data: payloads.RefundCreated) -> None:
    orders.refund_created(session, shop, OrderRefunded(order_id=data.order_id, refund=refund(data)))


def customer_created(session: Session, shop: Shop, data: payloads.CustomerData) -> None:
    signup.customer_created(session, shop, customer(data))


def customer_updated(session: Session, shop: Shop, data: payloads.CustomerData) -> None:
    enrolment.customer_updated(session, shop, customer(data))


def email_consent_updated(session: Session, shop: Shop, data: payloads.EmailMarketingConsentUpdate) -> None:
    consent = data.email_marketing_consent
    newsletter.consent_updated(session, shop, EmailConsentUpdated(
        customer_id=data.customer_id, email=data.email_address, state=consent.state if consent else None))
