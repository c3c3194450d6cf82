"""Erasure: what customers/redact erases of a customer (PERSONAL_DATA), shop/redact, and webhook payload retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.ledger.adjustments import POINTS_ADJUSTED, adjustment_message
from shopify_app.loyalty.members.enrolment import find_member, redaction_key
from shopify_app.models import (
    ActivityLogEntry,
    BulkJob,
    Customer,
    CustomerDataExport,
    EarningEntry,
    IdempotencyKey,
    OutboxMessage,
    OutboxStatus,
    PointsImportFile,
    RedactedCustomer,
    Shop,
    ShopifyOrder,
    WebhookDelivery,
)
from shopify_app.models.bulk_job import POINTS_IMPORT_KINDS
from shopify_app.shopify.webhook_payloads import CustomersRedact
from shopify_app.upserts import insert_new


@dataclass(frozen=True)
class _Subject:
    """Whom a ``customers/redact`` erases: their Shopify id, their orders, their member row if any."""

    shop: Shop
    shopify_customer_id: str
    order_ids: frozenset[str]
    member: Customer | None


Eraser = Callable[[Session, _Subject], None]


def _anonymise_member(session: Session, subject: _Subject) -> None:
    """The member row stays, so the shop's totals still add up, anonymised and out of the program."""
    member = subject.member
    if member is None:
        return
    # The internal id stands in for Shopify's: unique, and meaningless outside this database.
    member.shopify_customer_id = member.id
    member.email = member.email_normalized = member.first_name = member.last_name = None
    member.date_of_birth = member.date_of_birth_changed_at = None
    member.shopify_created_at = None
    member.is_excluded = True


def _drop_entry_notes(session: Session, subject: _Subject) -> None:
    if subject.member is not None:
        session.execute(update(EarningEntry).where(EarningEntry.customer_id == subject.member.id).values(note=None))


def _drop_adjustment_notes(session: Session, subject: _Subject) -> None:
    """The merchant's note on an adjustment is repeated in its activity row: message and data."""
    if subject.member is None:
        return
    rows = session.scalars(select(ActivityLogEntry).where(
        ActivityLogEntry.customer_id == subject.member.id, ActivityLogEntry.kind == POINTS_ADJUSTED))
    for row in rows:
        row.message = adjustment_message(row.data["points"], None)
        row.data = {key: value for key, value in row.data.items() if key != "note"}


def _delete_exports(session: Session, subject: _Subject) -> None:
    session.execute(delete(CustomerDataExport).where(
        CustomerDataExport.shop_id == subject.shop.id,
        CustomerDataExport.shopify_customer_id == subject.shopify_customer_id))


def _drop_points_files(session: Session, subject: _Subject) -> None:
    """A points file names customers by email, and its check's outcomes repeat them: the shop's file
    and the outcomes go (the merchant uploads the file again if they still want it imported)."""
    session.execute(delete(PointsImportFile).where(PointsImportFile.shop_id == subject.shop.id))
    session.execute(update(BulkJob).where(BulkJob.shop_id == subject.shop.id, BulkJob.result.is_not(None),
                                          BulkJob.kind.in_(POINTS_IMPORT_KINDS)).values(result=None))


def _delete_replays(session: Session, subject: _Subject) -> None:
    """Stored API responses about the customer (their customer object or points adjustment) go; a
    retry with such a key runs again, as after 24 hours."""
    session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.shop_id == subject.shop.id,
        IdempotencyKey.body.contains(f'"shopify_customer_id":"{subject.shopify_customer_id}"', autoescape=True)))


UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value, OutboxStatus.FAILED.value)


def _erase_syncs(session: Session, subject: _Subject) -> None:
    """Unsent syncs of the member go; the errors kept on sent ones may quote what a vendor was sent."""
    if subject.member is None:
        return
    session.execute(delete(OutboxMessage).where(
        OutboxMessage.customer_id == subject.member.id, OutboxMessage.status.in_(UNSENT)))
    session.execute(update(OutboxMessage).where(OutboxMessage.customer_id == subject.member.id)
                    .values(last_error=None))


def _unlink_orders(session: Session, subject: _Subject) -> None:
    session.execute(update(ShopifyOrder).where(
        ShopifyOrder.shop_id == subject.shop.id, ShopifyOrder.shopify_customer_id == subject.shopify_customer_id,
    ).values(shopify_customer_id=None))


def _erase_deliveries(session: Session, subject: _Subject) -> None:
    """The shop's deliveries not applied yet (waiting or failed) that concern the customer are
    closed, payload and error erased: they are about someone erased and are never applied.
    Applied deliveries keep no payload; the unapplied are few, so they are scanned."""
    now = utcnow()
    for delivery in session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.processed_at.is_(None), WebhookDelivery.shop_domain == subject.shop.domain)):
        if _concerns(delivery, subject):
            delivery.payload, delivery.last_error, delivery.processed_at = None, None, now


def _concerns(delivery: WebhookDelivery, subject: _Subject) -> bool:
    """Whether a payload names the customer or one of their orders. The ``customers/create`` and
    ``customers/update`` payloads are the customer; orders and the privacy topics carry them as
    ``customer``; a refund names its order."""
    payload = delivery.payload if isinstance(delivery.payload, dict) else {}
    customer = payload.get("customer", payload if delivery.topic.startswith("customers/") else None)
    return ((isinstance(customer, dict) and str(customer.get("id")) == subject.shopify_customer_id)
            or str(payload.get("order_id")) in subject.order_ids)


def _erased_by(eraser: Eraser, *columns: str) -> dict[str, Eraser | None]:
    return dict.fromkeys(columns, eraser)


def _not_personal(*columns: str) -> dict[str, Eraser | None]:
    return dict.fromkeys(columns)


# Every text and JSON column of the schema, and every other column that can hold a customer's
# personal data, by table: the step of customers/redact that erases it, or None when it cannot
# hold any. A test fails when a text or JSON column is missing here, so a new one is classified
# before it ships; another fills every personal one and checks the erasure leaves nothing.
PERSONAL_DATA: dict[str, dict[str, Eraser | None]] = {
    "customers": _erased_by(_anonymise_member, "shopify_customer_id", "email", "email_normalized", "first_name",
                            "last_name", "date_of_birth", "date_of_birth_changed_at", "shopify_created_at")
    | _not_personal("id", "shop_id", "vip_tier_id"),
    "earning_entries": _erased_by(_drop_entry_notes, "note")
    # Order ids and numbers are the shop's; Shopify erases the customer from the order itself.
    | _not_personal("id", "shop_id", "customer_id", "earning_rule_id", "dedupe_key", "action", "source", "status",
                    "order_id", "order_number"),
    "lot_allocations": _not_personal("entry_id", "lot_id", "shop_id"),
    "activity_log": _erased_by(_drop_adjustment_notes, "message", "data")
    | _not_personal("id", "shop_id", "customer_id", "entry_id", "kind"),
    "customer_data_exports": _erased_by(_delete_exports, "shopify_customer_id", "data")
    | _not_personal("id", "shop_id", "data_request_id"),
    # The payload is a sync's reason and status, never the customer's data.
    "outbox_messages": _erased_by(_erase_syncs, "last_error")
    | _not_personal("shop_id", "topic", "customer_id", "entry_id", "payload", "status", "job_id"),
    "shopify_orders": _erased_by(_unlink_orders, "shopify_customer_id")
    | _not_personal("id", "shop_id", "shopify_order_id", "order_number", "earning_bases"),
    "webhook_deliveries": _erased_by(_erase_deliveries, "payload", "last_error")
    | _not_personal("id", "webhook_id", "shop_domain", "topic", "api_version", "event_id", "triggered_at",
                    "refused_reason"),
    # A bulk job's error is stored through error_text: a type and a first line, never a value; its
    # operation id names a Shopify bulk operation, not a person.
    "bulk_jobs": _erased_by(_drop_points_files, "result")
    | _not_personal("id", "shop_id", "kind", "status", "error", "params", "operation_id"),
    "points_import_files": _erased_by(_drop_points_files, "content")
    | _not_personal("id", "shop_id", "filename", "format"),
    # Only a hash of the Shopify id, to recognise it when it comes back (enrolment.redaction_key).
    "redacted_customers": _not_personal("shop_id", "shopify_customer_id_hash"),
    "customer_profile_versions": _not_personal("customer_id", "shop_id"),
    "customer_sync_states": _not_personal("customer_id", "shop_id", "topic"),
    "order_refunds": _not_personal("id", "shop_id", "order_id", "shopify_refund_id", "lines"),
    # The merchant's own: shop, program, keys and integrations; shop/redact deletes them all.
    "shops": _not_personal("id", "domain", "shopify_shop_id", "name", "currency", "access_token_ciphertext",
                           "refresh_token_ciphertext", "scopes", "iana_timezone"),
    # A random token per admin form post that went through: nothing about anyone.
    "form_submissions": _not_personal("shop_id", "token"),
    "shop_sync_states": _not_personal("shop_id"),
    "program_settings": _not_personal("shop_id", "points_name", "reward_code_prefix"),
    "rewards": _not_personal("id", "shop_id", "name", "description", "discount_type", "reward_type", "vip_tier_id",
                             "product_gid", "variant_gid", "product_title", "product_handle", "product_image_url",
                             "pricing"),
    # A code is the shop's discount, tied to the customer only through customer_id (anonymised).
    "reward_redemptions": _not_personal("id", "shop_id", "customer_id", "reward_id", "entry_id", "refund_entry_id",
                                        "state", "discount_code", "shopify_discount_id", "used_order_id"),
    "earning_rules": _not_personal("id", "shop_id", "name", "description", "category", "action",
                                   "customer_facing_label", "call_to_action_url", "excluded_product_ids",
                                   "excluded_collection_ids", "collection_product_ids", "excluded_customer_tags"),
    "vip_tiers": _not_personal("id", "shop_id", "name", "badge_color"),
    "idempotency_keys": _erased_by(_delete_replays, "body")
    | _not_personal("id", "shop_id", "api_key_id", "key", "fingerprint", "content_type"),
    "api_keys": _not_personal("id", "shop_id", "key_hash", "prefix", "name"),
    "integration_settings": _not_personal("id", "shop_id", "service", "api_key_ciphertext", "key_hint",
                                          "last_check_message"),
}
ERASERS: list[Eraser] = list(dict.fromkeys(
    eraser for columns in PERSONAL_DATA.values() for eraser in columns.values() if eraser is not None))


def redact_customer(session: Session, shop: Shop, redaction: CustomersRedact) -> None:
    """customers/redact: erase every column PERSONAL_DATA names for the customer, and leave a
    tombstone so that no later event or reconciliation enrols them again."""
    customer_id = redaction.customer.id
    order_ids = set(redaction.orders_to_redact)
    order_ids.update(session.scalars(select(ShopifyOrder.shopify_order_id).where(
        ShopifyOrder.shop_id == shop.id, ShopifyOrder.shopify_customer_id == customer_id)))
    subject = _Subject(shop, customer_id, frozenset(order_ids), find_member(session, shop, customer_id, lock=True))
    for erase in ERASERS:
        erase(session, subject)
    tombstone = dict(shop_id=shop.id, shopify_customer_id_hash=redaction_key(shop.id, customer_id))
    insert_new(session, RedactedCustomer, tombstone, ["shop_id", "shopify_customer_id_hash"])


def redact_shop(session: Session, shop_domain: str) -> None:
    """shop/redact: every row of the shop; the foreign keys cascade from the shop's row (the
    redaction tombstones too: with the shop gone, nothing of it is enrolled again)."""
    session.execute(delete(Shop).where(Shop.domain == shop_domain))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.shop_domain == shop_domain))


# The payload of a delivery never applied is kept this long, for a person to look into, then
# deleted: it holds a customer's personal data. By then Shopify has long stopped retrying (8
# times over 4 hours) and the scheduled reconciliation has made missed orders good.
PAYLOAD_RETENTION = dt.timedelta(days=7)


def delete_stale_payloads(session: Session, *, now: dt.datetime | None = None) -> int:
    """Close the deliveries received more than PAYLOAD_RETENTION ago and still not applied,
    their payload deleted (their error stays, to say why); returns how many."""
    now = now or utcnow()
    # An UPDATE's result is a CursorResult, which Session.execute's type does not say.
    return cast("CursorResult[Any]", session.execute(update(WebhookDelivery).where(
        WebhookDelivery.processed_at.is_(None), WebhookDelivery.received_at < now - PAYLOAD_RETENTION,
    ).values(payload=None, processed_at=now))).rowcount
