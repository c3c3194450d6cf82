"""The storefront's API behind Shopify's app proxy: every request signed, scoped to one shopper."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from shopify_app.config import loyalty_config
from shopify_app.proxy import views
from shopify_app.proxy.auth import rate_limit_key, require_proxy_signature
from shopify_app.shops.cache import ShopsByDomain
from shopify_app.web import rate_limits
from shopify_app.web.jsonapi import error_document

bp = Blueprint("proxy", __name__, url_prefix="/proxy")
bp.before_request(require_proxy_signature)
bp.after_request(rate_limits.headers)
views.register(bp)


def _per_minute() -> int:
    return loyalty_config(current_app).proxy_rate_limit


@bp.after_app_request
def _private_and_never_redirected(response: Response) -> Response:
    """Every answer under /proxy, routed or not: uncached, and never a redirect, whose Location
    would carry the signed query (the routing merges no slashes; this keeps it so)."""
    path = request.path
    if not (path == bp.url_prefix or path.startswith(f"{bp.url_prefix}/")):
        return response
    if 300 <= response.status_code < 400:
        response = error_document(404, "Not Found", "No such storefront endpoint")
    # Answers carry one shopper's data; no shared cache between Shopify and the shopper may keep them.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.errorhandler(RedisError)
def _replay_store_down(_error: RedisError) -> ResponseReturnValue:
    return error_document(503, "Service Unavailable", "Cannot accept writes right now; try again shortly")


def register(app: Flask) -> None:
    app.extensions["storefront_shops"] = ShopsByDomain()
    rate_limits.limit(app, bp, _per_minute, 60, rate_limit_key,
                      lambda: f"Too many requests: at most {_per_minute()} a minute; retry after Retry-After seconds")
    app.register_blueprint(bp)
