"""Whatever a signed body or a header holds, /webhooks answers 200, 400 or 401, errors as JSON:API
documents, never a 500 or an HTML page; and no job is left failing on every retry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis

from shopify_app import MAX_REQUEST_BYTES
from shopify_app.jobs.webhook_topics import TOPICS
from tests.shopify_signing import SHOP, run_jobs, webhook_headers
from tests.webhooks.test_orders import GOLD, order, refund

DEEP = b'{"id": 1, "customer": ' + b"[" * 1000 + b"]" * 1000 + b"}"


def assert_json_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/vnd.api+json"
    assert json.loads(response.get_data())["errors"][0]["status"] == str(status)


@pytest.mark.parametrize("body", [
    b'{"id": 1, "subtotal_price": NaN}', b'{"id": 1, "subtotal_price": Infinity}', b'{"id": -Infinity}',
    b'{"id": 1, "subtotal_price": 1e309', DEEP, b"[" * 1000 + b"]" * 1000, b"\xff\xfe{}", b"", b"[1, 2]",
    b'{"id": 1' + b"1" * 5000 + b"}",
])
def test_a_signed_body_that_is_not_a_json_object_is_a_json_400(client: FlaskClient, body: bytes) -> None:
    assert_json_error(client.post("/webhooks", data=body, headers=webhook_headers(body, "orders/paid")), 400)


@pytest.mark.parametrize("body", [
    json.dumps(order(1, subtotal="1")).replace('"1"', "1e309").encode(),
    json.dumps(order(1, customer={"id": 5, "first_name": "\ud800", "email": "a\u0000@example.com"})).encode(),
    json.dumps(order(1, customer={"id": 5, "created_at": "0001-01-01T00:00:00+05:00"})).encode(),
    json.dumps({**order(1), "note": {"deep": json.loads(b"[" * 400 + b"]" * 400)}}).encode(),
    json.dumps(order(1 << 70)).encode(),
])
def test_signed_bodies_with_values_no_column_holds_are_refused(client: FlaskClient, app: Flask, redis: Redis,
                                                               demo_shop: dict[str, Any], body: bytes) -> None:
    response = client.post("/webhooks", data=body, headers=webhook_headers(body, "orders/paid"))
    assert response.status_code == 200
    run_jobs(app, redis)


def test_every_error_under_webhooks_is_json(client: FlaskClient) -> None:
    assert_json_error(client.get("/webhooks"), 405)
    assert_json_error(client.post("/webhooks/", data=b"{}"), 404)
    big = b"{" + b" " * MAX_REQUEST_BYTES + b"}"
    assert_json_error(client.post("/webhooks", data=big, headers=webhook_headers(big, "orders/paid")), 413)
    body = b"{}"
    headers = {**webhook_headers(body, "orders/paid"), "X-Shopify-Webhook-Id": "id\x00\x7f"}
    assert_json_error(client.post("/webhooks", data=body, headers=headers), 400)


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["1e309", "NaN", "-1", "999999999999.99", "2200000000", "\u0000", "\ud800", SHOP,
                       "2026-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "gid://shopify/Shop/1", "1" * 30]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
# Field names the models read, so hostile values land where they are used.
keys = st.sampled_from(["id", "shop_id", "shop_domain", "myshopify_domain", "customer", "subtotal_price", "total_tax",
                        "taxes_included", "refunds", "order_id", "refund_line_items", "transactions", "cancelled_at",
                        "created_at", "updated_at", "email", "first_name", "current", "data_request",
                        "orders_to_redact", "name", "order_number"])
COMPLIANCE = {"shop_id": 1, "shop_domain": SHOP}
# A well-formed payload per topic, for hostile values to replace a few of its fields (and of its customer,
# first refund or first refund line).
WELL_FORMED: dict[str, dict[str, Any]] = {
    "orders/paid": order(7001), "orders/cancelled": {**order(7001), "cancelled_at": "2026-11-29T12:00:00Z"},
    "refunds/create": refund(71, 7001, "10.00"),
    "customers/create": {**GOLD, "created_at": "2024-03-01T10:00:00-05:00"},
    "customers/update": {**GOLD, "updated_at": "2026-11-29T12:00:00Z"},
    "customers_email_marketing_consent/update": {
        "customer_id": 1001, "email_address": "gold@example.com",
        "email_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in",
                                    "consent_updated_at": "2026-11-29T12:00:00Z"}},
    "app/uninstalled": {"id": 1, "myshopify_domain": SHOP}, "app/scopes_update": {"current": ["read_orders"]},
    "customers/data_request": {**COMPLIANCE, "customer": {"id": 1002}, "data_request": {"id": 7}},
    "customers/redact": {**COMPLIANCE, "customer": {"id": 1002}, "orders_to_redact": []},
    "shop/redact": COMPLIANCE,
}
overrides = st.dictionaries(keys, json_values, max_size=3)


def mutated(topic: str, top: dict[str, Any], inner: dict[str, Any]) -> bytes:
    payload = {**WELL_FORMED[topic], **top}
    for name in ("customer", "refund_line_items", "refunds"):
        if isinstance(payload.get(name), dict):
            payload[name] = {**payload[name], **inner}
        elif isinstance(payload.get(name), list) and payload[name] and isinstance(payload[name][0], dict):
            payload[name] = [{**payload[name][0], **inner}]
    return json.dumps(payload, allow_nan=True).encode()


def mostly(value: Any, otherwise: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``value`` three times in four (None: the helper's well-formed header), else ``otherwise``."""
    return st.one_of(st.just(value), st.just(value), st.just(value), otherwise)


hostile_topic_and_body = st.one_of(
    st.sampled_from(sorted(WELL_FORMED)).flatmap(
        lambda topic: st.tuples(st.just(topic), st.builds(mutated, st.just(topic), overrides, overrides))),
    st.tuples(st.sampled_from(sorted(TOPICS)), st.one_of(
        st.dictionaries(keys, json_values, max_size=6).map(lambda p: json.dumps(p, allow_nan=True).encode()),
        st.sampled_from([b'{"id": NaN}', b'{"id": 1e309}', DEEP, b"\x00", b"{}"]), st.binary(max_size=40))),
    st.tuples(header_text, st.binary(max_size=40)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(topic_and_body=hostile_topic_and_body, shop=mostly(SHOP, st.just("other-shop.myshopify.com") | header_text),
       triggered_at=mostly(None, header_text), webhook_id=mostly(None, header_text),
       event_id=mostly(None, header_text), api_version=mostly(None, header_text))
def send_hostile_deliveries(app: Flask, topic_and_body: tuple[str, bytes], shop: str, triggered_at: str | None,
                            webhook_id: str | None, event_id: str | None, api_version: str | None) -> None:
    topic, body = topic_and_body
    headers = webhook_headers(body, topic, shop=shop, triggered_at=triggered_at, webhook_id=webhook_id)
    for name, value in (("X-Shopify-Event-Id", event_id), ("X-Shopify-API-Version", api_version)):
        if value is not None:
            headers[name] = value
    response = app.test_client().post("/webhooks", data=body, headers=headers)
    assert response.status_code in {200, 400, 401}, response.get_data(as_text=True)
    if response.status_code != 200:
        assert_json_error(response, response.status_code)


def test_hostile_signed_bodies_never_give_a_500(app: Flask, redis: Redis, demo_shop: dict[str, Any]) -> None:
    # Bounded: 150 signed deliveries, then one worker processes every one they queued.
    send_hostile_deliveries(app)
    run_jobs(app, redis)
