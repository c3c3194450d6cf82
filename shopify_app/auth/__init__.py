"""/auth/install and /auth/callback: the authorization code grant for non-embedded installs."""

from __future__ import annotations

import hmac
import logging
import secrets

import httpx
from flask import Blueprint, Flask, current_app, redirect, request
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from redis.exceptions import RedisError

from shopify_app.config import Config
from shopify_app.db import get_session
from shopify_app.errors import BadRequest, DomainError, Forbidden, Unauthorized
from shopify_app.jobs.webhooks import enqueue_program_setup
from shopify_app.redis_conn import get_redis
from shopify_app.shopify import authorize
from shopify_app.shopify.domains import valid_shop_domain
from shopify_app.shopify.oauth import exchange_authorization_code
from shopify_app.shopify.signatures import valid_query_hmac
from shopify_app.shops.installs import obtain_grant, record_install

STATE_COOKIE = "shopify_oauth_state"
# Long enough to read the grant screen; the nonce is also single-use (see _consume_state).
STATE_MAX_AGE_SECONDS = 600
CALLBACK_PARAMS = ("code", "hmac", "shop", "state", "timestamp")

bp = Blueprint("auth", __name__, url_prefix="/auth")
logger = logging.getLogger(__name__)


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service Unavailable"


def _config() -> Config:
    return current_app.config["LOYALTY"]  # type: ignore[no-any-return]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_config().shopify_api_secret, salt="shopify-oauth-state")


def shopify_http(app: Flask) -> httpx.Client:
    """One HTTP client per app for Shopify's token endpoint (tests put a fake in ``app.extensions``)."""
    return app.extensions.setdefault("shopify_http", httpx.Client())  # type: ignore[no-any-return]


def install() -> ResponseReturnValue:
    params = request.args.to_dict()
    shop = valid_shop_domain(params.get("shop"))
    if shop is None:
        raise BadRequest("shop must be a *.myshopify.com domain")
    if "hmac" in params and not valid_query_hmac(request.args.items(multi=True), _config().signing_secrets):
        raise Unauthorized("The install request's HMAC does not match")
    state = secrets.token_hex(32)
    response = redirect(authorize.authorize_url(_config(), shop, state))
    response.set_cookie(STATE_COOKIE, _serializer().dumps({"state": state, "shop": shop}),
                        max_age=STATE_MAX_AGE_SECONDS, path="/auth", httponly=True, samesite="Lax",
                        secure=_config().app_url.startswith("https://"))
    return response


def callback() -> ResponseReturnValue:
    params = request.args.to_dict()
    missing = [name for name in CALLBACK_PARAMS if not params.get(name)]
    if missing:
        raise BadRequest(f"Missing parameters: {', '.join(missing)}")
    shop = valid_shop_domain(params["shop"])
    if shop is None:
        raise BadRequest("shop must be a *.myshopify.com domain")
    if not valid_query_hmac(request.args.items(multi=True), _config().signing_secrets):
        raise Unauthorized("The callback's HMAC does not match")
    if not authorize.fresh_timestamp(params["timestamp"]):
        raise Unauthorized("The callback's timestamp is not recent")
    _check_state(params["state"], shop)
    _consume_state(params["state"])
    http = shopify_http(current_app)
    grant = obtain_grant(lambda: exchange_authorization_code(http, _config(), shop, params["code"]), refused=BadRequest)
    session = get_session()
    installed = record_install(session, shop, grant, _config())
    session.commit()
    try:
        enqueue_program_setup(get_redis(current_app), installed.id)
    except RedisError:
        logger.warning("program set-up of %s left to the sweep: Redis unavailable", shop)
    response = redirect(authorize.app_home_url(_config(), shop, params.get("host")))
    response.delete_cookie(STATE_COOKIE, path="/auth")
    return response


def _check_state(state: str, shop: str) -> None:
    """The state must be the nonce of the signed cookie set by /auth/install for this shop."""
    try:
        kept = _serializer().loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature:
        raise Forbidden("No valid install state for this browser; start the install again") from None
    if not (isinstance(kept, dict) and hmac.compare_digest(str(kept.get("state", "")).encode(), state.encode())
            and kept.get("shop") == shop):
        raise Forbidden("The state does not match this browser's install")


def _consume_state(state: str) -> None:
    """A nonce completes one install, even when a copy of the cookie is replayed with it."""
    try:
        first_use = get_redis(current_app).set(f"oauth-state:{state}", 1, nx=True, ex=STATE_MAX_AGE_SECONDS)
    except RedisError:
        raise ServiceUnavailable("Cannot check the install state right now; try again") from None
    if not first_use:
        raise Forbidden("This install callback was used already")


bp.add_url_rule("/install", view_func=install, methods=["GET"])
bp.add_url_rule("/callback", view_func=callback, methods=["GET"])


def register(app: Flask) -> None:
    app.register_blueprint(bp)
