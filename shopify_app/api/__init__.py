"""The REST API under /v1: API-key auth and JSON:API documents."""

from __future__ import annotations

from flask import Blueprint, Flask

from shopify_app.api import activity, customers, earning_history, earning_rules, idempotency, vip_tiers
from shopify_app.api.auth import require_api_key

bp = Blueprint("api", __name__, url_prefix="/v1")
bp.before_request(require_api_key)
bp.before_request(idempotency.claim_key)
bp.after_request(idempotency.store_response)
activity.register(bp)
customers.register(bp)
earning_history.register(bp)
earning_rules.register(bp)
vip_tiers.register(bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
