"""Webhook payload models become the frozen commands the domain takes: typed values, nothing more."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import typing
from decimal import Decimal

import pytest

from shopify_app.jobs import webhook_commands
from shopify_app.jobs.webhook_topics import INSTALLED_SHOP_BATCH_TOPICS, INSTALLED_SHOP_TOPICS, KNOWN_SHOP_TOPICS
from shopify_app.loyalty.earning.commands import OrderLine, OrderPaid, Refund, RefundedLine, RefundTransaction
from shopify_app.loyalty.members.enrolment import ShopifyCustomer
from shopify_app.shopify.webhook_payloads import MODELS, CustomerData, parse_payload
from shopify_app.shopify.webhook_payloads import OrderPaid as OrderPaidPayload
from shopify_app.shopify.webhook_payloads import RefundCreated as RefundCreatedPayload

ORDER = {
    "id": 820982911946154508, "name": "#9999", "order_number": 1999, "subtotal_price": "199.65", "total_tax": "20.05",
    "taxes_included": True, "currency": "USD", "line_items": [{"id": 1}],
    "customer": {"id": "115310627314723954", "email": "ann@example.com", "first_name": "Ann", "phone": "+1555",
                 "created_at": "2026-11-30T09:00:00-05:00"},
    "refunds": [{"id": 509562969, "refund_line_items": [{"subtotal": "10.00"}, {"quantity": 1}],
                 "transactions": [{"kind": "refund", "status": "success", "amount": "10.00"}]}],
}


def test_an_order_paid_payload_is_an_order_paid_command(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = parse_payload("orders/paid", ORDER)
    assert isinstance(payload, OrderPaidPayload)
    captured: list[OrderPaid] = []
    monkeypatch.setattr(webhook_commands.orders, "orders_paid", lambda session, shop, paid: captured.extend(paid))
    webhook_commands.orders_paid(None, None, [payload])  # type: ignore[arg-type]
    assert captured == [OrderPaid(
        id="820982911946154508", subtotal_price=Decimal("199.65"), total_tax=Decimal("20.05"), taxes_included=True,
        name="#9999", order_number=1999,
        customer=ShopifyCustomer(id="115310627314723954", email="ann@example.com", first_name="Ann",
                                 created_at=dt.datetime(2026, 11, 30, 14, tzinfo=dt.timezone.utc)),
        refunds=(Refund(id="509562969", lines=(RefundedLine(Decimal("10.00")), RefundedLine(Decimal(0))),
                        transactions=(RefundTransaction(kind="refund", status="success", amount=Decimal("10.00")),)),),
        lines=(OrderLine(id="1", value=Decimal(0)),),
    )]


def test_a_refund_without_amounts_counts_zero() -> None:
    payload = RefundCreatedPayload.model_validate({"id": 1, "order_id": 2, "transactions": [{"kind": "refund"}]})
    assert webhook_commands.refund(payload) == Refund(
        id="1", transactions=(RefundTransaction(kind="refund", status=None, amount=Decimal(0)),))


def test_commands_are_frozen() -> None:
    customer = webhook_commands.customer(CustomerData.model_validate({"id": 7}))
    assert customer == ShopifyCustomer(id="7")
    with pytest.raises(dataclasses.FrozenInstanceError):
        customer.email = "someone@example.com"  # type: ignore[misc]


def test_every_handler_takes_the_model_its_topic_is_parsed_into() -> None:
    for topic, handler in {**INSTALLED_SHOP_TOPICS, **KNOWN_SHOP_TOPICS}.items():
        payload = list(inspect.signature(handler).parameters)[2]
        assert typing.get_type_hints(handler)[payload] is MODELS[topic], topic
    for topic, batch_handler in INSTALLED_SHOP_BATCH_TOPICS.items():
        payloads = list(inspect.signature(batch_handler).parameters)[2]
        assert typing.get_type_hints(batch_handler)[payloads] == list[MODELS[topic]], topic  # type: ignore[misc]
