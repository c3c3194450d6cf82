"""Which domain function handles each webhook topic, for which shops it runs, and what the shop we
hold refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.jobs import webhook_commands
from shopify_app.models import Shop, WebhookDelivery
from shopify_app.privacy import erasure, exports
from shopify_app.shopify.payloads import parse_time
from shopify_app.shopify.webhook_payloads import Payload, PayloadRefused, parse_payload
from shopify_app.shops import installs

# Each takes its topic's payload model (webhook_payloads.MODELS), which is what parse_payload gave;
# a batch handler, a list of them.
ShopHandler = Callable[[Session, Shop, Any], None]
BatchHandler = Callable[[Session, Shop, list[Any]], None]

# Points and members: only while the shop has the app installed. A topic whose deliveries come in
# bursts has a batch handler: a batch's consecutive deliveries of it are applied in one call, which
# reads once what they share (a lone delivery, in a list of one).
INSTALLED_SHOP_BATCH_TOPICS: dict[str, BatchHandler] = {
    "orders/paid": webhook_commands.orders_paid,
}
INSTALLED_SHOP_TOPICS: dict[str, ShopHandler] = {
    "orders/cancelled": webhook_commands.order_cancelled,
    "refunds/create": webhook_commands.refund_created,
    "customers/create": webhook_commands.customer_created,
    "customers/update": webhook_commands.customer_updated,
    "customers_email_marketing_consent/update": webhook_commands.email_consent_updated,
}
# Lifecycle and privacy: for any shop we hold, installed or not.
KNOWN_SHOP_TOPICS: dict[str, ShopHandler] = {
    "app/scopes_update": installs.scopes_updated,
    "customers/data_request": exports.export_customer,
    "customers/redact": erasure.redact_customer,
}
APP_UNINSTALLED = "app/uninstalled"
SHOP_REDACT = "shop/redact"
TOPICS = (frozenset(INSTALLED_SHOP_BATCH_TOPICS) | frozenset(INSTALLED_SHOP_TOPICS) | frozenset(KNOWN_SHOP_TOPICS)
          | {APP_UNINSTALLED, SHOP_REDACT})
# Shopify sends shop/redact 48 hours after an uninstall; earlier, the shop may still be using the app.
REDACT_AFTER_UNINSTALL = dt.timedelta(hours=48)


def apply(session: Session, deliveries: list[WebhookDelivery], shop: Shop | None, now: dt.datetime) -> dict[str, str]:
    """Apply one shop's deliveries in the order given, ``shop`` the shop of their domain as read with
    them, each on its own, but those of a batch topic (for an installed shop) a run of consecutive
    ones in one call; why the shop we hold refused each one it refused (then nothing of it changed),
    by delivery id. A shop we do not hold (or no longer serve) makes a delivery a no-op."""
    refused: dict[str, str] = {}
    for topic, run in groupby(deliveries, key=attrgetter("topic")):
        if shop is None or shop.uninstalled_at is not None or topic not in INSTALLED_SHOP_BATCH_TOPICS:
            refused.update((delivery.id, reason) for delivery in run
                           if (reason := _handle(session, delivery, shop, now)) is not None)
            continue
        payloads = []
        for delivery in run:
            payload = _parsed(delivery)
            reason = payload if isinstance(payload, str) else refusal(shop, topic, payload, now)
            if reason is None:
                payloads.append(payload)
            else:
                refused[delivery.id] = reason
        if payloads:
            INSTALLED_SHOP_BATCH_TOPICS[topic](session, shop, payloads)
    return refused


def _handle(session: Session, delivery: WebhookDelivery, shop: Shop | None, now: dt.datetime) -> str | None:
    """Apply one delivery to ``shop``, the shop of its domain as read with it, or say why the shop we
    hold refuses it (then nothing changed).

    A shop we do not hold (or no longer serve) makes it a no-op, and so does a batch topic's delivery
    to a shop that uninstalled (``apply`` hands it here then, for the refusals)."""
    payload = _parsed(delivery)
    if isinstance(payload, str):
        return payload
    if delivery.topic == SHOP_REDACT:
        # It decides on the shop's install state: a concurrent reinstall waits for it, or wins.
        shop = session.scalar(select(Shop).where(Shop.domain == delivery.shop_domain).with_for_update(of=Shop)
                              .execution_options(populate_existing=True))
    if shop is None:
        return None
    reason = refusal(shop, delivery.topic, payload, now)
    if reason:
        return reason
    if delivery.topic == SHOP_REDACT:
        erasure.redact_shop(session, shop.domain)
    elif delivery.topic == APP_UNINSTALLED:
        installs.uninstalled(session, shop, triggered_at=_triggered_at(delivery), now=now)
    elif delivery.topic in KNOWN_SHOP_TOPICS:
        KNOWN_SHOP_TOPICS[delivery.topic](session, shop, payload)
    elif delivery.topic in INSTALLED_SHOP_TOPICS and shop.uninstalled_at is None:
        INSTALLED_SHOP_TOPICS[delivery.topic](session, shop, payload)
    return None


def _parsed(delivery: WebhookDelivery) -> Payload | str:
    """The delivery's payload model, or why it is refused (it was recorded before the intake checked shapes)."""
    try:
        return parse_payload(delivery.topic, delivery.payload or {})
    except PayloadRefused as error:
        return str(error)


def refusal(shop: Shop, topic: str, payload: Payload, now: dt.datetime) -> str | None:
    """Why the shop we hold contradicts the payload: another Shopify shop id, or a shop/redact for a
    shop that is installed or was uninstalled less than 48 hours ago."""
    identity = payload.shop_identity()
    # A shop installed before its id was kept has it filled by the program set-up job; until then
    # the signed payload's domain, checked against the header at intake, is what identifies it.
    if identity is not None and shop.shopify_shop_id is not None and identity[1] != shop.shopify_shop_id:
        return f"the payload names Shopify shop {identity[1]}; {shop.domain} is {shop.shopify_shop_id}"
    if topic == SHOP_REDACT:
        if shop.uninstalled_at is None:
            return f"shop/redact for {shop.domain}, which has not uninstalled the app"
        if now - shop.uninstalled_at < REDACT_AFTER_UNINSTALL:
            return f"shop/redact less than 48 hours after {shop.domain} uninstalled the app"
    return None


def _triggered_at(delivery: WebhookDelivery) -> Any:
    try:
        return parse_time(delivery.triggered_at)
    except ValueError:
        return None
