"""POST /webhooks: verify the HMAC, check the payload, record the delivery, enqueue its processing, answer 200."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import lone_statement_connection
from shopify_app.errors import BadRequest, Unauthorized
from shopify_app.jobs.webhook_deliveries import record_delivery
from shopify_app.jobs.webhook_topics import TOPICS
from shopify_app.jobs.webhooks import enqueue_received
from shopify_app.redis_conn import get_redis
from shopify_app.shopify.domains import valid_shop_domain
from shopify_app.shopify.signatures import valid_body_hmac
from shopify_app.webhooks import intake

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
REQUIRED_HEADERS = ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id")

bp = Blueprint("webhooks", __name__)
logger = logging.getLogger(__name__)


def receive() -> ResponseReturnValue:
    body = request.get_data(cache=False)
    # The signature first: an unsigned request learns nothing about what else it lacks (Shopify's
    # review sends a bad HMAC and expects 401, whatever the other headers say).
    if not valid_body_hmac(body, request.headers.get(HMAC_HEADER, ""), current_app.config["LOYALTY"].signing_secrets):
        raise Unauthorized("Webhook HMAC does not match")
    headers = {name: request.headers.get(name, "").strip() for name in REQUIRED_HEADERS}
    missing = [name for name, value in headers.items() if not value]
    if missing:
        raise BadRequest(f"Missing webhook headers: {', '.join(missing)}")
    webhook_id = headers["X-Shopify-Webhook-Id"]
    if len(webhook_id) > 255 or not (webhook_id.isascii() and webhook_id.isprintable()):
        raise BadRequest("X-Shopify-Webhook-Id is not an id Shopify sends")
    shop = valid_shop_domain(headers["X-Shopify-Shop-Domain"])
    if shop is None:
        raise BadRequest("X-Shopify-Shop-Domain is not a *.myshopify.com domain")
    topic = headers["X-Shopify-Topic"]
    if topic not in TOPICS:
        return "", 200  # signed by Shopify but not subscribed: acknowledged, nothing to do
    checked = intake.check(topic, shop, intake.json_object(body), request.headers.get("X-Shopify-Triggered-At"),
                           utcnow())
    # The recording is one INSERT: on the request's autocommit connection (PostgreSQL) it is a
    # transaction by itself, one round trip where BEGIN and COMMIT around it made three.
    with Session(lone_statement_connection()) as session:
        delivery_id = record_delivery(session, shop=shop, topic=topic, webhook_id=webhook_id,
                                      payload=checked.payload, headers=request.headers,
                                      refused_reason=checked.refused_reason)
        session.commit()
    # A refused delivery is answered 200 too: Shopify would only retry a replay or a forgery.
    if delivery_id is not None and checked.refused_reason is None:
        try:
            enqueue_received(get_redis(current_app), delivery_id, shop, topic)
        except RedisError:
            # The row is committed: the scheduler's sweep enqueues it once Redis is back.
            logger.warning("webhook %s recorded but not enqueued: Redis unavailable", delivery_id)
    return "", 200


bp.add_url_rule("/webhooks", view_func=receive, methods=["POST"])


def register(app: Flask) -> None:
    app.register_blueprint(bp)
