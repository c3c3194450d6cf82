"""The site root, Shopify's App Home: the admin's overview inside Shopify, a short landing page outside.

Shopify opens App Home at ``application_url`` (the root) with ``?embedded=1&shop=…&host=…&id_token=…``.
Such a request (or any load of ``/`` into a frame) is served by the admin's overview itself, in the
same document load: its path is
rewritten to the overview's before routing, so the admin's session-token guard, headers and error
pages apply exactly as they do under /admin. No redirect: a hop costs the merchant a round trip
inside the iframe, and Shopify warns that redirects can lose ``id_token``. Anything else at ``/``
is a person arriving from outside Shopify and gets the landing page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, Flask, Response, render_template_string, request

from shopify_app.shopify.domains import valid_shop_domain

OVERVIEW_PATH = "/admin/"

LANDING_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Loyalty points for Shopify</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; }
    main { max-width: 36rem; margin: 0 auto; padding: 3rem 1.25rem; }
    label { display: block; font-weight: 600; margin-top: 1.5rem; }
    input { font: inherit; width: 100%; box-sizing: border-box; padding: .5rem; margin: .25rem 0 .75rem; }
    button { font: inherit; padding: .5rem 1rem; }
  </style>
</head>
<body>
<main>
  <h1>Loyalty points for Shopify</h1>
  <p>A points program for your store: customers earn points for purchases, signing up, birthdays and
    following you on social media; VIP tiers multiply what they earn; the balance shows in your
    storefront. The app runs inside your Shopify admin.</p>
  {% if shop %}
  <p>Installed already? Open it from your Shopify admin, under <strong>Apps</strong>.</p>
  {% endif %}
  <form action="{{ url_for('auth.install') }}" method="get">
    <label for="shop">Your store's myshopify.com domain</label>
    <input id="shop" name="shop" value="{{ shop or '' }}" placeholder="your-store.myshopify.com" required
      pattern="[a-z0-9][a-z0-9\\-]*\\.myshopify\\.com" autocomplete="off" spellcheck="false"
      title="The store's domain in lower case, ending in .myshopify.com">
    <button type="submit">Install the app</button>
  </form>
</main>
</body>
</html>
"""

bp = Blueprint("app_home", __name__)


def opened_by_shopify(query: dict[str, list[str]], fetch_destination: str = "") -> bool:
    """What App Home loads look like: a session token, or ``embedded=1`` naming a valid shop (App
    Bridge's bounce page then fetches the token). A load into a frame (``Sec-Fetch-Dest: iframe``)
    with neither is one too, a link back to the root inside the admin: only the admin may frame the
    app, and the landing page may not be framed at all."""
    first = {name: values[0] for name, values in query.items() if values}
    return bool(first.get("id_token")) or fetch_destination == "iframe" or (
        first.get("embedded") == "1" and valid_shop_domain(first.get("shop")) is not None)


def serve_app_home(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware: an App Home load of ``/`` is routed to the overview. The environ is copied,
    so the server's own record of the request (its access log) keeps the path as requested."""

    def app_home(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (environ.get("PATH_INFO") == "/" and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
                and opened_by_shopify(parse_qs(environ.get("QUERY_STRING", "")),
                                      environ.get("HTTP_SEC_FETCH_DEST", ""))):
            environ = {**environ, "PATH_INFO": OVERVIEW_PATH}
        return wsgi_app(environ, start_response)

    return app_home


def home() -> Response:
    """Outside Shopify: what the app is, and the install form (``/auth/install?shop=…``)."""
    html = render_template_string(LANDING_PAGE, shop=valid_shop_domain(request.args.get("shop")))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none';"
    return response


bp.add_url_rule("/", view_func=home, methods=["GET"])


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.wsgi_app = serve_app_home(app.wsgi_app)  # type: ignore[method-assign]
