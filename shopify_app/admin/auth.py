"""Who calls the embedded admin: a verified session token, or (development only) the demo login."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from flask import Response, current_app, g, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from shopify_app.config import loyalty_config
from shopify_app.db import get_session
from shopify_app.devtools.demo import DEMO_SHOP
from shopify_app.errors import Forbidden
from shopify_app.jobs.webhooks import enqueue_program_setup
from shopify_app.models import Shop
from shopify_app.redis_conn import get_redis
from shopify_app.shopify.session_tokens import InvalidSessionToken, SessionToken, decode_session_token
from shopify_app.shops.installs import install_from_session_token
from shopify_app.shops.lookup import get_shop
from shopify_app.shops.tokens import has_valid_token

ADMIN_ORIGIN = "https://admin.shopify.com"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The session of the demo login records only that it happened: the shop is always the demo shop.
DEV_LOGIN_KEY = "admin_dev_login"
CSRF_KEY = "admin_csrf"


@dataclass(frozen=True)
class AdminIdentity:
    shop: Shop
    embedded: bool
    # The verified session token of this request: a redirect after a form post carries it on, so
    # the next page opens in one document load instead of bouncing through App Bridge for a new one.
    session_token: str = ""


def current_shop() -> Shop:
    identity: AdminIdentity = g.admin
    return identity.shop


def exchange_token_on_first_load(verified: SessionToken, raw_token: str) -> None:
    """Shopify-managed install: a page load of a shop with no usable offline token exchanges
    its session token for one, then the shop's default program is set up in the background."""
    db = get_session()
    with httpx.Client() as http:
        installed = install_from_session_token(db, loyalty_config(current_app), http, raw_token)
    db.commit()
    if installed.exchanged:
        try:
            enqueue_program_setup(get_redis(current_app), installed.shop.id)
        except RedisError:
            pass  # the scheduler's sweep sets up the program of every shop still waiting for one


def authenticate() -> ResponseReturnValue | None:
    """before_request of the admin blueprint: sets ``g.admin`` or answers the rejection."""
    bearer = _bearer_token()
    raw = bearer or request.args.get("id_token") or request.form.get("id_token")
    if raw:
        return _authenticate_token(raw, from_header=bool(bearer))
    if loyalty_config(current_app).admin_dev_login and session.get(DEV_LOGIN_KEY):
        return _authenticate_dev()
    return reject()


def _authenticate_token(raw: str, *, from_header: bool) -> ResponseReturnValue | None:
    config = loyalty_config(current_app)
    try:
        verified = decode_session_token(
            raw, api_key=config.shopify_api_key,
            secrets=[config.shopify_api_secret, config.shopify_api_secret_previous],
        )
    except InvalidSessionToken:
        return reject(fetch=from_header)
    shop = get_shop(get_session(), verified.shop)
    if not from_header and request.method == "GET" and not _connected(shop):
        exchange_token_on_first_load(verified, raw)
        shop = get_shop(get_session(), verified.shop)
    if shop is None or shop.uninstalled_at is not None:
        raise Forbidden(f"{verified.shop} has not installed the app")
    g.admin = AdminIdentity(shop=shop, embedded=True, session_token=raw)
    return None


def _connected(shop: Shop | None) -> bool:
    return shop is not None and shop.uninstalled_at is None and has_valid_token(shop)


def _authenticate_dev() -> ResponseReturnValue | None:
    if request.method not in SAFE_METHODS:
        require_csrf()
    shop = get_shop(get_session(), DEMO_SHOP)
    if shop is None:
        session.pop(DEV_LOGIN_KEY, None)
        return reject()
    g.admin = AdminIdentity(shop=shop, embedded=False)
    return None


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    return header[7:].strip() or None


def is_page_load() -> bool:
    return request.method == "GET" and not request.path.startswith("/admin/api/")


def reject(*, fetch: bool = False) -> ResponseReturnValue:
    """A page load goes to the bounce page, which gets a fresh token from App Bridge and reloads;
    a fetch (a Bearer header, a POST, an /admin/api call) answers 401 with the header that makes
    App Bridge retry once with a new token."""
    if is_page_load() and not fetch:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "id_token"]
        target = request.path + ("?" + urlencode(args) if args else "")
        # url_for's query values are Any: typed str, mypy would match them against its `_external: bool`.
        query: dict[str, Any] = {"shopify-reload": target}
        return redirect(url_for("admin_public.bounce", **query))
    response = jsonify(error="A valid session token is required")
    response.status_code = 401
    response.headers["X-Shopify-Retry-Invalid-Session-Request"] = "1"
    return response


def admin_headers(response: Response) -> Response:
    """after_request for everything under /admin, errors and unknown paths included: the admin
    may only be framed by the admin of the shop the request authenticated as (never a shop named
    in the query), and no page, export or new API key is kept by a cache."""
    path = request.path
    if path != "/admin" and not path.startswith("/admin/"):
        return response
    identity: AdminIdentity | None = g.get("admin")
    sources = ([f"https://{identity.shop.domain}"] if identity else []) + [ADMIN_ORIGIN]
    response.headers["Content-Security-Policy"] = f"frame-ancestors {' '.join(sources)};"
    response.headers["Cache-Control"] = "no-store"
    return response


def start_dev_session() -> None:
    """A new session (and CSRF token) at login, so nothing planted in the old one carries over."""
    session.clear()
    session[DEV_LOGIN_KEY] = True
    session[CSRF_KEY] = secrets.token_urlsafe(32)


def csrf_token() -> str:
    """The token forms and fetches of the demo login send back; session-token calls need none.
    Issued before the login too, for the login form itself."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return str(session[CSRF_KEY])


def require_csrf() -> None:
    expected = str(session.get(CSRF_KEY, ""))
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Forbidden("The form expired; reload the page and try again")
