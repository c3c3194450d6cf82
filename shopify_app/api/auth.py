"""API-key authentication: the key names the shop every lookup is scoped to."""

from __future__ import annotations

from flask import current_app, g, request

from shopify_app.db import engine_for, get_session
from shopify_app.errors import Forbidden
from shopify_app.models import Shop
from shopify_app.shops.api_keys import LiveKey, authenticate, kept_key

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_key() -> LiveKey:
    """The request's live key, looked up once (the rate limit asks for it before the view does); 401 without one."""
    key: LiveKey | None = g.get("api_key")
    if key is None:
        header = request.headers.get("Authorization")
        # A kept key needs no session: a read then opens none before its own statement.
        key = kept_key(engine_for(current_app), header)
        if key is None:
            session = get_session()
            key = authenticate(session, header)
            if session.dirty:
                # last_used_at moved (once a minute): committed now, so the row is not locked for the
                # whole request (a read commits nothing, and every request of the key would queue on it).
                session.commit()
        g.api_key = key
    return key


def require_api_key() -> None:
    """Blueprint before_request hook: 401 without a live key, 403 for a read-only key's write."""
    key = request_key()
    if key.read_only and request.method not in READ_METHODS:
        raise Forbidden("This API key is read-only and cannot perform write operations")


def current_shop_id() -> str:
    key: LiveKey = g.api_key
    return key.shop_id


def kept_shop() -> Shop:
    """The key's shop and its settings as the worker keeps them, objects of no session: for a view
    that only reads them (the award's expiry), with no session merged into."""
    key: LiveKey = g.api_key
    return key.shop


def current_shop() -> Shop:
    """The key's shop and its settings, the request session's own, for the views that need more than its id."""
    key: LiveKey = g.api_key
    return key.shop_in(get_session())
