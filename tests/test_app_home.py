"""The site root: App Home (the admin's overview, in one document load) inside Shopify, a landing page outside."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shopify_app.db import sessionmaker_for
from shopify_app.shopify.oauth import TokenGrant
from shopify_app.shops.lookup import get_shop
from shopify_app.shops.tokens import store_grant
from tests import factories


@pytest.fixture
def connected_demo_shop(app: Flask, demo_shop: dict[str, Any]) -> dict[str, Any]:
    """The demo shop with a stored offline token, as after its install: a page load exchanges nothing."""
    config = app.config["LOYALTY"]
    with sessionmaker_for(app).begin() as session:
        shop = get_shop(session, demo_shop["domain"])
        assert shop is not None
        store_grant(shop, TokenGrant("shpat_installed", config.shopify_scopes, None, None, None), config)
    return demo_shop


def app_home_query(app: Flask, shop: str, **extra: str) -> dict[str, str]:
    """What Shopify appends when it opens App Home in the admin."""
    host = base64.b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode()).decode().rstrip("=")
    return {"embedded": "1", "shop": shop, "host": host, "locale": "en",
            "id_token": factories.session_token(app.config["LOYALTY"], shop), **extra}


def without_form_tokens(page: str) -> str:
    """A page with its forms' one-time tokens blanked: two renders differ only by them."""
    return re.sub(r'name="form_token" value="[^"]*"', 'name="form_token" value=""', page)


def test_app_home_inside_shopify_is_the_overview_in_one_document_load(
        app: Flask, client: FlaskClient, connected_demo_shop: dict[str, Any]) -> None:
    shop = connected_demo_shop["domain"]
    response = client.get("/", query_string=app_home_query(app, shop))
    assert response.status_code == 200  # no redirect: the overview itself
    page = response.get_data(as_text=True)
    overview = client.get("/admin/", query_string=app_home_query(app, shop)).get_data(as_text=True)
    assert without_form_tokens(page) == without_form_tokens(overview) and '<s-page heading="Overview">' in page
    assert 'name="shopify-api-key"' in page and "app-bridge.js" in page
    assert response.headers["Content-Security-Policy"] == f"frame-ancestors https://{shop} https://admin.shopify.com;"
    assert response.headers["Cache-Control"] == "no-store"


def test_app_home_keeps_the_admins_guard(app: Flask, client: FlaskClient, connected_demo_shop: dict[str, Any]) -> None:
    shop = connected_demo_shop["domain"]
    forged = app_home_query(app, shop, id_token=factories.session_token(
        app.config["LOYALTY"], shop, secret="not-the-app-secret-" + "x" * 32))
    without_token = {k: v for k, v in app_home_query(app, shop).items() if k != "id_token"}
    for query in (forged, without_token):
        response = client.get("/", query_string=query)
        # App Bridge's bounce page fetches a fresh token and reloads the overview with it.
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/session-bounce?shopify-reload=/admin/?embedded")
        assert "id_token" not in response.headers["Location"] and "Overview" not in response.get_data(as_text=True)


def test_a_link_back_to_the_root_inside_the_admin_reaches_the_overview(
        client: FlaskClient, connected_demo_shop: dict[str, Any]) -> None:
    # In the admin's iframe with no query: the admin's guard asks App Bridge for a token, never the
    # landing page (which may not be framed).
    response = client.get("/", headers={"Sec-Fetch-Dest": "iframe"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/session-bounce?shopify-reload=/admin/"


@pytest.mark.parametrize("query", [{}, {"shop": "demo-loyalty.myshopify.com"},
                                   {"embedded": "1", "shop": "evil.com/x.myshopify.com"},
                                   {"embedded": "0", "shop": "demo-loyalty.myshopify.com"}])
def test_outside_shopify_the_root_is_a_landing_page_with_the_install_form(
        client: FlaskClient, demo_shop: dict[str, Any], query: dict[str, str]) -> None:
    response = client.get("/", query_string=query)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Loyalty points for Shopify</h1>" in page
    assert '<form action="/auth/install" method="get">' in page and 'name="shop"' in page
    assert ('value="demo-loyalty.myshopify.com"' in page) is (query.get("shop") == "demo-loyalty.myshopify.com")
    assert "evil.com" not in page
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none';"


def test_the_landing_pages_form_starts_the_install(client: FlaskClient) -> None:
    # What the browser sends for the form: GET /auth/install?shop=…
    response = client.get("/auth/install", query_string={"shop": "new-store.myshopify.com"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://new-store.myshopify.com/admin/oauth/authorize?")
