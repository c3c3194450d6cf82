"""Admin authentication: session tokens on every route, the bounce page, CSP, CSRF, shop isolation."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import create_app
from shopify_app.admin import auth
from shopify_app.config import Config
from shopify_app.models import Customer
from tests import factories
from tests.admin.conftest import TokenClient, csrf_of, form_token_of


def _admin_routes() -> list[tuple[str, str]]:
    probe = create_app(Config(env="test", instance_path=Path(tempfile.mkdtemp())))
    routes = []
    for rule in probe.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            url = rule.rule
            for argument in rule.arguments:
                url = url.replace(f"<{argument}>", "x1")
            routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


ADMIN_ROUTES = _admin_routes()


def _forged_tokens(config: Config, domain: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "wrong secret": factories.session_token(config, domain, secret="not-the-app-secret-" + "x" * 32),
        "other app": factories.session_token(config, domain, aud="another-app"),
        "expired": factories.session_token(config, domain, exp=now - 120, nbf=now - 180, iat=now - 180),
        "iss for another shop": factories.session_token(config, domain, iss="https://evil.myshopify.com/admin"),
        "garbage": "not.a.jwt",
    }


def _assert_rejected(response: Any, method: str, url: str) -> None:
    if method == "GET" and not url.startswith("/admin/api/"):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/session-bounce?shopify-reload=")
        assert "id_token" not in response.headers["Location"]
    else:
        assert response.status_code == 401
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert response.headers["Content-Security-Policy"].startswith("frame-ancestors ")


def test_the_probe_found_every_admin_page() -> None:
    assert len(ADMIN_ROUTES) >= 25
    assert ("GET", "/admin/") in ADMIN_ROUTES and ("POST", "/admin/customers/x1/adjust") in ADMIN_ROUTES


@pytest.mark.parametrize(("method", "url"), ADMIN_ROUTES)
def test_every_admin_route_rejects_a_missing_token(client, demo_shop, method: str, url: str) -> None:
    _assert_rejected(client.open(url, method=method), method, url)


@pytest.mark.parametrize(("method", "url"), ADMIN_ROUTES)
def test_every_admin_route_rejects_forged_tokens(app: Flask, client, demo_shop, method: str, url: str) -> None:
    for name, token in _forged_tokens(app.config["LOYALTY"], demo_shop["domain"]).items():
        header = client.open(url, method=method, headers={"Authorization": f"Bearer {token}"})
        assert header.status_code == 401, name
        assert header.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
        _assert_rejected(client.open(url, method=method, query_string={"id_token": token}), method, url)


def test_a_page_load_with_a_valid_id_token_calls_the_token_exchange_hook(app, client, demo_shop, monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(auth, "exchange_token_on_first_load", lambda verified, raw: calls.append(verified.shop))
    token = factories.session_token(app.config["LOYALTY"], demo_shop["domain"])
    response = client.get("/admin/customers", query_string={"id_token": token, "shop": "evil.myshopify.com"})
    assert response.status_code == 200
    assert calls == [demo_shop["domain"]]
    # The shop comes from the token's dest, never from the query string.
    assert response.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{demo_shop['domain']} https://admin.shopify.com;"
    )
    assert b'name="shopify-api-key"' in response.data and b"app-bridge.js" in response.data


def test_the_bounce_page_loads_app_bridge_and_names_the_api_key(app, client) -> None:
    response = client.get("/admin/session-bounce",
                          query_string={"shopify-reload": "/admin/", "shop": "a.myshopify.com"})
    assert response.status_code == 200
    assert f'<meta name="shopify-api-key" content="{app.config["LOYALTY"].shopify_api_key}">'.encode() in response.data
    assert b"https://cdn.shopify.com/shopifycloud/app-bridge.js" in response.data


def test_every_admin_page_has_the_frame_ancestors_header(admin: TokenClient, session: Session, demo_shop) -> None:
    customer_id = session.scalar(select(Customer.id).where(Customer.shop_id == demo_shop["shop_id"]).limit(1))
    pages = ["/admin/", "/admin/?days=90", "/admin/rules", "/admin/rules/new",
             f"/admin/rules/{demo_shop['rules']['join_newsletter']}", "/admin/tiers", "/admin/tiers/new",
             f"/admin/tiers/{demo_shop['tiers']['Gold']}", "/admin/customers", f"/admin/customers/{customer_id}",
             "/admin/settings", "/admin/privacy", "/admin/customers/cus_missing"]
    expected = f"frame-ancestors https://{demo_shop['domain']} https://admin.shopify.com;"
    for url in pages:
        response = admin.get(url)
        assert response.status_code == (404 if "missing" in url else 200), url
        assert response.mimetype == "text/html"
        assert response.headers["Content-Security-Policy"] == expected, url


def test_unknown_admin_paths_and_wrong_methods_carry_the_header_too(client) -> None:
    for response in (client.get("/admin/no-such-page"), client.delete("/admin/rules")):
        assert response.status_code in (404, 405)
        assert response.headers["Content-Security-Policy"] == "frame-ancestors https://admin.shopify.com;"
    assert "Content-Security-Policy" not in client.get("/healthz").headers


def test_a_shop_that_has_not_installed_the_app_is_refused(app, client) -> None:
    token = factories.session_token(app.config["LOYALTY"], "stranger.myshopify.com")
    response = client.get("/admin/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert b"has not installed" in response.data


def test_a_token_for_one_shop_never_reaches_another_shops_data(app, session: Session, demo_shop) -> None:
    other = factories.shop(session, "other-shop.myshopify.com")
    factories.customer(session, other, "777", "mine@other.example")
    session.commit()
    demo_customer = session.scalars(
        select(Customer).where(Customer.shop_id == demo_shop["shop_id"], Customer.shopify_customer_id == "1001")
    ).one()
    intruder = TokenClient(app, "other-shop.myshopify.com")
    assert intruder.get(f"/admin/customers/{demo_customer.id}").status_code == 404
    listing = intruder.get("/admin/customers").data
    assert b"mine@other.example" in listing and b"gold@example.com" not in listing
    searched = intruder.get("/admin/customers?q=gold@example.com").data
    assert b"No customers found" in searched and b"Goldie" not in searched
    adjusted = intruder.post(f"/admin/customers/{demo_customer.id}/adjust", data={"points": "500", "note": "x"})
    assert adjusted.status_code == 404
    assert intruder.get(f"/admin/rules/{demo_shop['rules']['join_newsletter']}").status_code == 404
    assert intruder.post(f"/admin/tiers/{demo_shop['tiers']['Gold']}/delete").status_code == 404
    session.refresh(demo_customer)
    assert demo_customer.current_points == 1200


def test_the_demo_login_needs_the_csrf_token_for_every_change(demo_client, session: Session, demo_shop) -> None:
    customer = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1002")).one()
    url = f"/admin/customers/{customer.id}/adjust"
    assert demo_client.post(url, data={"points": "50", "note": "no token"}).status_code == 403
    assert demo_client.post(url, data={"points": "50", "note": "bad", "csrf_token": "guess"}).status_code == 403
    page = demo_client.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert demo_client.post(url, data={"points": "50", "note": "ok", "csrf_token": csrf_of(page),
                                                "form_token": form_token_of(page)}).status_code == 303
    session.refresh(customer)
    assert customer.current_points == 50
