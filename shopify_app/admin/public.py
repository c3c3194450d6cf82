"""The admin's pages that need no session: the App Bridge bounce page and the demo login."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shopify_app import loyalty_config
from shopify_app.admin import auth
from shopify_app.db import get_session
from shopify_app.errors import DomainError, NotFound
from shopify_app.loyalty.demo import DEMO_SHOP
from shopify_app.loyalty.shops import get_shop
from shopify_app.shopify.domains import valid_shop_domain


def bounce() -> ResponseReturnValue:
    """App Bridge reads ``shopify-reload``, fetches a fresh session token and reloads that path."""
    html = render_template(
        "admin/bounce.html", api_key=loyalty_config(current_app).shopify_api_key,
        dev_login=auth.dev_login_allowed(loyalty_config(current_app)),
    )
    return Response(html, mimetype="text/html")


def dev_login_view() -> ResponseReturnValue:
    """Development only (never registered in production): open a shop's admin without Shopify."""
    domain = valid_shop_domain(request.args.get("shop", DEMO_SHOP))
    if domain is None or get_shop(get_session(), domain) is None:
        raise NotFound(f"No shop {request.args.get('shop', DEMO_SHOP)!r}; run `flask --app wsgi demo seed` first")
    auth.start_dev_session(domain)
    return redirect(url_for("admin.overview"))


def plain_error(error: DomainError) -> ResponseReturnValue:
    return Response(render_template("admin/plain_error.html", error=error), status=error.status, mimetype="text/html")


def build_blueprint(*, dev_login: bool) -> Blueprint:
    bp = Blueprint("admin_public", __name__, url_prefix="/admin")
    bp.add_url_rule("/session-bounce", view_func=bounce, methods=["GET"])
    if dev_login:
        bp.add_url_rule("/dev-login", view_func=dev_login_view, methods=["GET"])
    bp.register_error_handler(DomainError, plain_error)
    return bp
