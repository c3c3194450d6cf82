"""Forged storefront requests: re-cut signatures, other proxy paths, redirects that leak the query."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask, redirect, request
from flask.testing import FlaskClient

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.models import EarningEntry
from shopify_app.shopify.app_proxy import signature_message
from tests.api.test_award import count, customer_row, error_of
from tests.proxy.signing import PATH_PREFIX, signed_params, signed_query

Pairs = list[tuple[str, str]]

# An anonymous (or logged-in 1002) shopper asks the storefront for /apps/loyalty/customer?a=<crafted>;
# Shopify signs that with its own parameters, and the pairs are cut again so that the same
# message names logged_in_customer_id=1001. Each re-cut replaces the pairs up to path_prefix.
RE_CUTS = {
    # The attack: a name holding '=' swallows Shopify's logged_in_customer_id and path_prefix.
    "name with '='": ("logged_in_customer_id=1001", "", [
        ("a", ""), ("logged_in_customer_id", "1001"), ("logged_in_customer_id=path_prefix", PATH_PREFIX)]),
    "value with '='": ("logged_in_customer_id=1001m=", "", [
        ("a", ""), ("logged_in_customer_id", "1001"), ("m", "logged_in_customer_id="), ("path_prefix", PATH_PREFIX)]),
    "tail of Shopify's name": ("logged_in_customer_id=1001m=x", "", [
        ("a", ""), ("logged_in_customer_id", "1001"), ("m", "xl"), ("ogged_in_customer_id", ""),
        ("path_prefix", PATH_PREFIX)]),
    "name ending with Shopify's": ("logged_in_customer_id=1001m", "1002", [
        ("a", ""), ("logged_in_customer_id", "1001"), ("mlogged_in_customer_id", "1002"),
        ("path_prefix", PATH_PREFIX)]),
}


def re_cut(crafted: str, customer_id: str, head: Pairs) -> str:
    """The forged query string: Shopify's signature over the crafted request, pairs cut again."""
    signed = signed_params(customer_id, params=[("a", crafted)])
    forged = head + [(k, v) for k, v in signed if k in ("shop", "timestamp")]
    assert signature_message(forged) == signature_message(signed), "not a re-split of what Shopify signed"
    return urlencode(forged + [("signature", dict(signed)["signature"])])


@pytest.mark.parametrize("attack", RE_CUTS)
def test_a_re_split_signature_cannot_name_another_customer(
    client: FlaskClient, app: Flask, demo_shop: dict[str, Any], attack: str
) -> None:
    crafted, customer_id, head = RE_CUTS[attack]
    query = re_cut(crafted, customer_id, head)
    for method, path in (
        ("GET", "/customer"), ("GET", "/history"),
        ("POST", f"/earning-rules/{demo_shop['rules']['follow_on_instagram']}/claim"),
    ):
        response = client.open(f"/proxy{path}?{query}", method=method)
        assert response.status_code == 401, (path, response.get_data(as_text=True))
        assert error_of(response)["detail"].startswith("Invalid app proxy request")
        assert "1200" not in response.get_data(as_text=True)
    gold = customer_row(app, "1001")
    assert (gold.current_points, gold.lifetime_points) == (1200, 1200)
    assert count(app, EarningEntry) == 0


def test_the_crafted_request_itself_is_refused(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    # As Shopify forwards it, the crafted parameter's value holds '=': not a request the widget makes.
    response = client.get(f"/proxy/customer?{signed_query(None, params=[('a', 'logged_in_customer_id=1001')])}")
    assert response.status_code == 401


def test_a_name_with_an_equals_sign_is_a_401(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    response = client.get(f"/proxy/vip-tiers?{signed_query(None, params=[('a=b', 'c')])}")
    assert response.status_code == 401
    assert "not one Shopify sends" in error_of(response)["detail"]


def test_a_request_signed_for_another_proxy_path_is_refused(app: Flask, demo_shop: dict[str, Any]) -> None:
    config = app.config["LOYALTY"]
    app.config["LOYALTY"] = config.model_copy(update={"app_proxy_path_prefix": "/a/rewards"})
    try:
        client = app.test_client()
        response = client.get(f"/proxy/customer?{signed_query('1001')}")
        assert response.status_code == 401
        assert "app proxy at /a/rewards" in error_of(response)["detail"]
        assert client.get(f"/proxy/customer?{signed_query('1001', path_prefix='/a/rewards')}").status_code == 200
    finally:
        app.config["LOYALTY"] = config


def test_the_path_prefix_setting_defaults_to_the_app_toml() -> None:
    assert Config.from_env({}).app_proxy_path_prefix == "/apps/loyalty"
    assert Config.from_env({"APP_PROXY_PATH_PREFIX": "/a/rewards"}).app_proxy_path_prefix == "/a/rewards"


@pytest.mark.parametrize("method,path", [
    ("GET", "//customer"), ("GET", "/customer/"), ("GET", "///history"), ("GET", "/earning-rules//"),
    ("GET", "//vip-tiers/"), ("GET", "/"), ("GET", ""), ("HEAD", "//customer"),
    ("POST", "/earning-rules/{rule}//claim"), ("POST", "//earning-rules/{rule}/claim"),
    ("POST", "/earning-rules/{rule}/claim/"),
])
def test_no_redirect_leaks_the_signed_query(
    client: FlaskClient, demo_shop: dict[str, Any], method: str, path: str
) -> None:
    """Shopify forwards /apps/loyalty//customer as /proxy//customer, signed: the answer is a 404."""
    query = signed_query("1001", params=[("nonce", uuid.uuid4().hex)])
    url = f"/proxy{path.format(rule=demo_shop['rules']['follow_on_instagram'])}?{query}"
    response = client.open(url, method=method)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    signature = dict(parse_qsl(query))["signature"]
    assert signature not in str(response.headers) and signature not in response.get_data(as_text=True)
    if method != "HEAD":
        assert error_of(response)["title"] == "Not Found"


def test_no_3xx_ever_leaves_proxy(app_config: Config) -> None:
    """A redirect from any route under /proxy, or from the routing itself, becomes a 404."""
    app = create_app(app_config)
    app.add_url_rule("/proxy/moved", "moved", lambda: redirect(f"/proxy/customer?{request.query_string.decode()}"))
    app.add_url_rule("/proxy/folder/", "folder", lambda: "folder")
    app.add_url_rule("/elsewhere/", "elsewhere", lambda: "ok")
    client = app.test_client()
    for path in ("/proxy/moved?signature=abc", "/proxy/folder?signature=abc"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Location" not in response.headers
        assert "abc" not in response.get_data(as_text=True)
        assert error_of(response)["status"] == "404"
    # Outside /proxy the routing answers as before.
    assert client.get("/elsewhere").status_code == 308
