"""The admin's pages that need no session: the App Bridge bounce page and the demo login."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from shopify_app.admin import auth
from shopify_app.config import loyalty_config
from shopify_app.db import get_session
from shopify_app.devtools.demo import DEMO_SHOP
from shopify_app.errors import DomainError, NotFound
from shopify_app.shops.lookup import get_shop


def bounce() -> ResponseReturnValue:
    """App Bridge reads ``shopify-reload``, fetches a fresh session token and reloads that path."""
    config = loyalty_config(current_app)
    html = render_template("admin/bounce.html", api_key=config.shopify_api_key, dev_login=config.admin_dev_login)
    return Response(html, mimetype="text/html")


def dev_login_page() -> ResponseReturnValue:
    """A button, not a link: a GET changes nothing, so no page elsewhere can log a browser in."""
    html = render_template("admin/dev_login.html", shop=DEMO_SHOP, csrf_token=auth.csrf_token())
    return Response(html, mimetype="text/html")


def dev_login() -> ResponseReturnValue:
    """Demo mode only (ADMIN_DEV_LOGIN=1): open the demo shop's admin without Shopify."""
    auth.require_csrf()
    if get_shop(get_session(), DEMO_SHOP) is None:
        raise NotFound(f"No shop {DEMO_SHOP}; run `flask --app wsgi demo seed` first")
    auth.start_dev_session()
    return redirect(url_for("admin.overview"), code=303)


def plain_error(error: DomainError) -> ResponseReturnValue:
    return Response(render_template("admin/plain_error.html", error=error), status=error.status, mimetype="text/html")


def build_blueprint(*, dev_login_enabled: bool) -> Blueprint:
    bp = Blueprint("admin_public", __name__, url_prefix="/admin")
    bp.add_url_rule("/session-bounce", view_func=bounce, methods=["GET"])
    if dev_login_enabled:
        bp.add_url_rule("/dev-login", view_func=dev_login_page, methods=["GET"])
        bp.add_url_rule("/dev-login", view_func=dev_login, methods=["POST"])
    bp.register_error_handler(DomainError, plain_error)
    return bp
