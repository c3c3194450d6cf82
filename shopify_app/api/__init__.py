"""The REST API under /v1: API-key auth, rate limits, idempotent writes and JSON:API documents."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request

from shopify_app.api import (
    activity,
    customers,
    earning_history,
    earning_rules,
    idempotency,
    openapi,
    rewards,
    vip_tiers,
)
from shopify_app.api.auth import READ_METHODS, request_key, require_api_key
from shopify_app.config import Config
from shopify_app.errors import DomainError
from shopify_app.web import rate_limits
from shopify_app.web.jsonapi import require_json


def json_writes() -> None:
    """Every write is JSON, those without a body too: another Content-Type is 415 before anything runs."""
    if request.method not in READ_METHODS:
        require_json(request)


bp = Blueprint("api", __name__, url_prefix="/v1")
bp.before_request(require_api_key)
bp.before_request(json_writes)
bp.before_request(idempotency.claim_key)
bp.after_request(idempotency.store_response)
bp.after_request(rate_limits.headers)
activity.register(bp)
customers.register(bp)
earning_history.register(bp)
earning_rules.register(bp)
rewards.register(bp)
vip_tiers.register(bp)

RATE_LIMITED = "Rate limit exceeded: at most {} requests per second per API key; retry after Retry-After seconds"


def _per_second() -> int:
    """The key's own limit, else the app's; a request without a live key counts at the app's (it gets a 401)."""
    config: Config = current_app.config["LOYALTY"]
    try:
        return request_key().rate_limit or config.api_rate_limit
    except DomainError:
        return config.api_rate_limit


def _counted_as() -> str:
    try:
        return f"key:{request_key().id}"
    except DomainError:
        return f"anonymous:{request.remote_addr}"


def register(app: Flask) -> None:
    rate_limits.limit(app, bp, _per_second, 1, _counted_as,
                      lambda: RATE_LIMITED.format(_per_second()))
    app.register_blueprint(bp)
    openapi.register(app)
