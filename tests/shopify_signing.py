"""Test helpers that sign as Shopify does: webhooks, OAuth query strings, session tokens.

Written from Shopify's documentation, or with Shopify's own library, rather than with the app's own
functions, so a test fails when the app's verification is wrong."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import jwt
import shopify
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from shopify_app.config import DEV_API_KEY, DEV_API_SECRET
from shopify_app.jobs import runtime
from shopify_app.jobs.webhooks import webhooks_queue

SHOP = "demo-loyalty.myshopify.com"
_ids = itertools.count(1)


def webhook_hmac(body: bytes, secret: str = DEV_API_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(body: bytes, topic: str, *, shop: str = SHOP, secret: str = DEV_API_SECRET,
                    webhook_id: str | None = None, triggered_at: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": webhook_hmac(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or f"wh-{next(_ids)}-{time.time_ns()}",
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Event-Id": f"ev-{next(_ids)}",
        "X-Shopify-Triggered-At": triggered_at or triggered_now(),
    }


def triggered_now(ago: dt.timedelta = dt.timedelta(0)) -> str:
    """An ``X-Shopify-Triggered-At`` as Shopify writes it (UTC, nanoseconds, Z), ``ago`` before now."""
    return (dt.datetime.now(dt.timezone.utc) - ago).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def post_webhook(client: FlaskClient, topic: str, payload: dict[str, Any], **options: Any) -> Any:
    body = json.dumps(payload).encode()
    return client.post("/webhooks", data=body, headers=webhook_headers(body, topic, **options))


def work(app: Flask, redis: Redis) -> Queue:
    """Everything queued on the webhooks queue, run in this process as a worker of ``app`` would."""
    queue = webhooks_queue(redis)
    runtime.bind(app)
    with app.app_context():
        SimpleWorker([queue], connection=redis, serializer=JSONSerializer).work(burst=True)
    return queue


def run_jobs(app: Flask, redis: Redis) -> None:
    """``work``, and no job may fail."""
    queue = work(app, redis)
    assert queue.failed_job_registry.count == 0 and queue.scheduled_job_registry.count == 0, "a job failed"


def query_hmac(params: dict[str, Any], secret: str = DEV_API_SECRET) -> str:
    """ShopifyAPI's own ``calculate_hmac`` (an array key's values as a list), with ``secret`` given to a
    subclass rather than set on the library's global Session."""
    signer: Any = type("Signer", (shopify.Session,), {"secret": secret})
    return str(signer.calculate_hmac(params))


def signed_query(params: dict[str, str], secret: str = DEV_API_SECRET) -> dict[str, str]:
    return {**params, "hmac": query_hmac(params, secret)}


def session_token(shop: str = SHOP, *, secret: str = DEV_API_SECRET, api_key: str = DEV_API_KEY,
                  **claims: Any) -> str:
    """An App Bridge ID token for ``shop``; ``claims`` override (None removes a claim)."""
    now = int(time.time())
    payload = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": api_key, "sub": "42",
               "exp": now + 60, "nbf": now, "iat": now, "jti": f"jti-{next(_ids)}", "sid": "sid-1"}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")
