"""The REST API under /v1: API-key auth and JSON:API documents."""

from __future__ import annotations

from flask import Blueprint, Flask

from shopify_app.api import earning_rules, rewards
from shopify_app.api.auth import require_api_key

bp = Blueprint("api", __name__, url_prefix="/v1")
bp.before_request(require_api_key)
earning_rules.register(bp)
rewards.register(bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
