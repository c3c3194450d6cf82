"""Which domain function handles each webhook topic, and for which shops it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from shopify_app.loyalty import installs, members, orders, privacy
from shopify_app.loyalty.members import parse_time
from shopify_app.loyalty.shops import get_shop
from shopify_app.models import Shop, WebhookDelivery

ShopHandler = Callable[[Session, Shop, dict[str, Any]], None]

# Points and members: only while the shop has the app installed.
INSTALLED_SHOP_TOPICS: dict[str, ShopHandler] = {
    "orders/paid": orders.order_paid,
    "orders/cancelled": orders.order_cancelled,
    "refunds/create": orders.refund_created,
    "customers/create": members.customer_created,
    "customers/update": members.customer_updated,
}
# Lifecycle and privacy: for any shop we hold, installed or not.
KNOWN_SHOP_TOPICS: dict[str, ShopHandler] = {
    "app/scopes_update": installs.scopes_updated,
    "customers/data_request": privacy.export_customer,
    "customers/redact": privacy.redact_customer,
}
APP_UNINSTALLED = "app/uninstalled"
SHOP_REDACT = "shop/redact"
TOPICS = frozenset(INSTALLED_SHOP_TOPICS) | frozenset(KNOWN_SHOP_TOPICS) | {APP_UNINSTALLED, SHOP_REDACT}


def handle(session: Session, delivery: WebhookDelivery) -> None:
    """Apply one delivery; a shop we do not hold (or no longer serve) makes it a no-op."""
    payload = delivery.payload or {}
    if delivery.topic == SHOP_REDACT:
        privacy.redact_shop(session, delivery.shop_domain)
        return
    shop = get_shop(session, delivery.shop_domain)
    if shop is None:
        return
    if delivery.topic == APP_UNINSTALLED:
        installs.uninstalled(session, shop, triggered_at=_triggered_at(delivery))
    elif delivery.topic in KNOWN_SHOP_TOPICS:
        KNOWN_SHOP_TOPICS[delivery.topic](session, shop, payload)
    elif delivery.topic in INSTALLED_SHOP_TOPICS and shop.uninstalled_at is None:
        INSTALLED_SHOP_TOPICS[delivery.topic](session, shop, payload)


def _triggered_at(delivery: WebhookDelivery) -> Any:
    try:
        return parse_time(delivery.triggered_at)
    except ValueError:
        return None
