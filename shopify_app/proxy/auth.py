"""App-proxy authentication: Shopify's signature names the shop and the logged-in shopper."""

from __future__ import annotations

import time

from flask import Flask, current_app, g, request

from shopify_app.config import loyalty_config
from shopify_app.db import get_session
from shopify_app.errors import NotFound, Unauthorized
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.models import Customer, Shop
from shopify_app.redis_conn import get_redis
from shopify_app.shopify.app_proxy import MAX_AGE_SECONDS, InvalidProxySignature, ProxyRequest, verify_proxy_request
from shopify_app.shops.cache import ShopsByDomain

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHECKED_SIGNATURE = "shopify_app.proxy.checked_signature"


def require_proxy_signature() -> None:
    """Blueprint before_request hook: 401 unless Shopify signed this request recently,
    401 for a write whose signature was used before, 404 for a shop without the app."""
    proxy, now = verified_signature()
    if isinstance(proxy, InvalidProxySignature):
        raise Unauthorized(f"Invalid app proxy request: {proxy}")
    if request.method not in READ_METHODS:
        refuse_replay(proxy, now)
    shops = storefront_shops(current_app)
    # A kept shop needs no session: a read then opens none before its own statement.
    shop = shops.get(proxy.shop) or shops.lookup(get_session(), proxy.shop)
    if shop is None or not shop.installed:
        raise NotFound(f"Shop '{proxy.shop}' has no loyalty program")
    g.proxy = proxy
    g.proxy_shop_id = shop.id


def storefront_shops(app: Flask) -> ShopsByDomain:
    """The worker's cache of the storefront's shops, one per app (each app has its own database)."""
    shops: ShopsByDomain = app.extensions["storefront_shops"]
    return shops


def rate_limit_key() -> str:
    """Whom the storefront's rate limit counts a request against: the signed shop and logged-in shopper
    (a visitor not logged in counts with the shop's other visitors), or an unsigned request's address.
    Only the signature is checked here: the replay check and the shop lookup stay with the hook above."""
    proxy, _now = verified_signature()
    if isinstance(proxy, InvalidProxySignature):
        return f"unsigned:{request.remote_addr}"
    return f"shopper:{proxy.shop}:{proxy.logged_in_customer_id or 'visitor'}"


def verified_signature() -> tuple[ProxyRequest | InvalidProxySignature, float]:
    """The request's signature checked once (the rate limit asks before the hook above does): what it
    names or why it is refused, and the time it was checked at. Kept in the request's WSGI environ,
    which lives exactly as long as the request (``g`` outlives it when a caller holds the app context)."""
    environ = request.environ
    checked: tuple[ProxyRequest | InvalidProxySignature, float] | None = environ.get(_CHECKED_SIGNATURE)
    if checked is None:
        config, now = loyalty_config(current_app), time.time()
        try:
            checked = verify_proxy_request(request.args.items(multi=True), secrets=config.signing_secrets,
                                           path_prefix=config.app_proxy_path_prefix, now=now), now
        except InvalidProxySignature as error:
            checked = error, now
        environ[_CHECKED_SIGNATURE] = checked
    return checked


def refuse_replay(proxy: ProxyRequest, now: float) -> None:
    """A signature authorises one write: Shopify signs the query but not the path or body,
    so a captured signed URL could otherwise be sent again while its timestamp is fresh."""
    # Kept until the timestamp is out of the window, after which the signature check refuses it anyway.
    ttl = max(int(proxy.timestamp + MAX_AGE_SECONDS - now) + 1, 1)
    first_use = get_redis(current_app).set(f"proxy:used-signature:{proxy.signature}", 1, nx=True, ex=ttl)
    if not first_use:
        raise Unauthorized("This signed request was already used; send a new request")


def current_shop_id() -> str:
    return g.proxy_shop_id  # type: ignore[no-any-return]


def current_shop() -> Shop:
    """The shop's row, for the views that need more than its id: read on first use, then the session's."""
    shop = get_session().get(Shop, current_shop_id())
    if shop is None:  # shop/redact deleted it within the cache's seconds
        raise NotFound("This shop has no loyalty program")
    return shop


def is_logged_in() -> bool:
    proxy: ProxyRequest = g.proxy
    return proxy.logged_in_customer_id is not None


def logged_in_customer_id() -> str:
    """The shopper Shopify vouches for; 401 for an anonymous shopper."""
    proxy: ProxyRequest = g.proxy
    if proxy.logged_in_customer_id is None:
        raise Unauthorized("Log in to your account to use the loyalty program")
    return proxy.logged_in_customer_id


def logged_in_customer() -> Customer:
    return find_customer(get_session(), current_shop_id(), logged_in_customer_id())


def optional_customer() -> Customer | None:
    """The logged-in member, or None for an anonymous shopper or one the app has not met yet."""
    if not is_logged_in():
        return None
    try:
        return logged_in_customer()
    except NotFound:
        return None
