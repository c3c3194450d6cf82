"""API-key authentication: the key names the shop every lookup is scoped to."""

from __future__ import annotations

from flask import g, request

from shopify_app.db import get_session
from shopify_app.errors import Forbidden
from shopify_app.models import ApiKey, Shop
from shopify_app.shops.api_keys import authenticate

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require_api_key() -> None:
    """Blueprint before_request hook: 401 without a live key, 403 for a read-only key's write."""
    key = authenticate(get_session(), request.headers.get("Authorization"))
    if key.read_only and request.method not in READ_METHODS:
        raise Forbidden("This API key is read-only and cannot perform write operations")
    g.api_key = key


def current_shop() -> Shop:
    key: ApiKey = g.api_key
    return key.shop
