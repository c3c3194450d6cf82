"""POST /webhooks checks the HMAC before anything else: a request with a missing or bad signature is 401
whatever else it lacks, and only a signed request is told which header is missing (400)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import WebhookDelivery
from tests.shopify_signing import webhook_headers

BODY = json.dumps({"id": 501, "email": "ann@example.com"}).encode()
OTHER_HEADERS = ["X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"]


def post(client: FlaskClient, headers: dict[str, str]) -> int:
    return client.post("/webhooks", data=BODY, headers=headers).status_code


@pytest.mark.parametrize("missing", [[], *([h] for h in OTHER_HEADERS), OTHER_HEADERS])
@pytest.mark.parametrize("signature", ["absent", "empty", "forged"])
def test_an_unsigned_request_is_401_whatever_else_it_lacks(client: FlaskClient, app: Flask, signature: str,
                                                           missing: list[str]) -> None:
    headers = webhook_headers(BODY, "customers/redact")
    if signature == "absent":
        del headers["X-Shopify-Hmac-Sha256"]
    else:
        headers["X-Shopify-Hmac-Sha256"] = "" if signature == "empty" else webhook_headers(
            b"{}", "customers/redact")["X-Shopify-Hmac-Sha256"]
    for name in missing:
        del headers[name]
    assert post(client, headers) == 401
    with sessionmaker_for(app)() as session:
        assert session.scalars(select(WebhookDelivery)).all() == []


@pytest.mark.parametrize("tamper", ["webhook id", "shop domain"])
def test_a_forged_request_with_bad_headers_is_401_not_400(client: FlaskClient, tamper: str) -> None:
    headers = webhook_headers(BODY, "customers/create")
    headers["X-Shopify-Hmac-Sha256"] = webhook_headers(b"{}", "customers/create")["X-Shopify-Hmac-Sha256"]
    if tamper == "webhook id":
        headers["X-Shopify-Webhook-Id"] = "id\twith a tab"
    else:
        headers["X-Shopify-Shop-Domain"] = "evil.example"
    assert post(client, headers) == 401


@pytest.mark.parametrize("header", OTHER_HEADERS)
def test_a_signed_request_missing_a_header_is_400(client: FlaskClient, header: str) -> None:
    headers = webhook_headers(BODY, "customers/create")
    del headers[header]
    response = client.post("/webhooks", data=BODY, headers=headers)
    assert response.status_code == 400
    assert header in response.get_json()["errors"][0]["detail"]
