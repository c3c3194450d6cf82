"""shopify.app.toml and shopify.app.dev.toml against the code, read as Shopify CLI reads them: every
subscription's uri resolved to a route that takes the POST, every topic handled and every handler
subscribed, the app proxy resolved to the /proxy routes, the metafields the app writes declared."""

from __future__ import annotations

import tomllib
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from shopify_app.config import PROJECT_ROOT, SHOPIFY_API_VERSION, SHOPIFY_SCOPES
from shopify_app.integrations import metafields
from shopify_app.jobs.webhook_topics import TOPICS

COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}
CONFIG_FILES = ("shopify.app.toml", "shopify.app.dev.toml")
# What `shopify app dev` puts in application_url: its tunnel's origin, never a path.
TUNNEL_URL = "https://loyalty-dev.trycloudflare.com"
# The keys that name one app (and so differ between the production and the development app).
APP_IDENTITY = {"client_id", "name", "handle", "application_url", "auth", "build"}


def app_toml(name: str = "shopify.app.toml") -> dict[str, Any]:
    with open(PROJECT_ROOT / name, "rb") as file:
        return tomllib.load(file)


def resolve_like_shopify_cli(uri: str, application_url: str) -> str:
    """How Shopify CLI (Shopify/cli) turns a path into the URL it registers:
    packages/app/src/cli/models/extensions/specifications/validation/url_prepender.ts
    (``prependApplicationUrl``), which app_config_webhook_subscription.ts applies to each
    ``[[webhooks.subscriptions]]`` uri and app_config_app_proxy.ts to ``[app_proxy] url``;
    app_config_privacy_compliance_webhooks.ts (``relativeUri``) does the same for compliance topics.
    A uri starting with "/" is appended to application_url with its trailing slashes removed (the
    uri's own trailing slashes are removed first, validation/common.ts ``removeTrailingSlash``);
    anything else is taken as it is. ``shopify app dev`` first replaces application_url with its
    tunnel's origin (services/dev/urls.ts, ``generateApplicationURLs``) and joins the same way."""
    uri = uri.rstrip("/")
    return application_url.rstrip("/") + uri if uri.startswith("/") else uri


def route_for(app: Flask, url: str, method: str) -> str:
    """The endpoint that answers ``method`` on ``url``; fails the test when none does."""
    parts = urlsplit(url)
    assert parts.scheme == "https", url
    try:
        endpoint, _ = app.url_map.bind(parts.netloc).match(parts.path, method=method)
    except (NotFound, MethodNotAllowed):
        pytest.fail(f"{method} {url}: no route of the app answers it")
    return str(endpoint)


def application_urls(name: str) -> list[str]:
    """application_url as deployed and, for the development app, as `shopify app dev` rewrites it."""
    return [app_toml(name)["application_url"]] + ([TUNNEL_URL] if name == "shopify.app.dev.toml" else [])


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_every_subscription_resolves_to_the_webhook_route_and_every_topic_is_handled(app: Flask, name: str) -> None:
    webhooks = app_toml(name)["webhooks"]
    subscribed: set[str] = set()
    compliance: set[str] = set()
    for subscription in webhooks["subscriptions"]:
        for application_url in application_urls(name):
            url = resolve_like_shopify_cli(subscription["uri"], application_url)
            assert route_for(app, url, "POST") == "webhooks.receive", url
        subscribed |= set(subscription.get("topics", []))
        compliance |= set(subscription.get("compliance_topics", []))
    assert compliance == COMPLIANCE_TOPICS
    assert subscribed | compliance == TOPICS
    assert webhooks["api_version"] == SHOPIFY_API_VERSION == "2026-10"


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_application_url_is_the_site_root_and_app_home_is_served_there(app: Flask, name: str) -> None:
    for application_url in application_urls(name):
        assert urlsplit(application_url).path in ("", "/"), application_url
        # Shopify loads application_url itself in the admin's iframe; a browser asks an empty path as "/".
        assert route_for(app, application_url.rstrip("/") + "/", "GET") == "app_home.home"


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_the_app_proxy_resolves_to_the_proxy_routes(app: Flask, name: str) -> None:
    proxy = app_toml(name)["app_proxy"]
    assert (proxy["prefix"], proxy["subpath"]) == ("apps", "loyalty")
    for application_url in application_urls(name):
        base = resolve_like_shopify_cli(proxy["url"], application_url)
        assert route_for(app, base + "/customer", "GET") == "proxy.customer"
        assert route_for(app, base + "/earning-rules/r1/claim", "POST") == "proxy.claim"


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_toml_declares_an_embedded_app_with_the_scopes_the_code_requires(app: Flask, name: str) -> None:
    config = app_toml(name)
    assert config["embedded"] is True and config["name"] and config["handle"]
    assert config["access_scopes"]["scopes"] == SHOPIFY_SCOPES
    for url in config["auth"]["redirect_urls"]:
        assert url == config["application_url"].rstrip("/") + "/auth/callback"
        assert route_for(app, url, "GET") == "auth.callback"


def test_the_production_config_keeps_its_urls_and_the_development_config_follows_the_tunnel() -> None:
    production, development = app_toml("shopify.app.toml"), app_toml("shopify.app.dev.toml")
    assert "automatically_update_urls_on_dev" not in production["build"]
    assert production["client_id"]
    assert development["build"]["automatically_update_urls_on_dev"] is True
    assert production["handle"] != development["handle"]


def test_the_development_config_is_the_production_one_but_for_the_app_it_names() -> None:
    production, development = app_toml("shopify.app.toml"), app_toml("shopify.app.dev.toml")
    assert {k: v for k, v in development.items() if k not in APP_IDENTITY} == {
        k: v for k, v in production.items() if k not in APP_IDENTITY}


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_the_metafields_the_app_writes_are_declared_for_the_storefront(name: str) -> None:
    config = app_toml(name)
    # The TOML's "app" namespace is the reserved $app namespace the app writes to.
    assert metafields.NAMESPACE == "$app"
    declared = {"customer": config["customer"]["metafields"]["app"], "shop": config["shop"]["metafields"]["app"]}
    assert set(declared["customer"]) == {metafields.CUSTOMER_KEY}
    assert set(declared["shop"]) == {metafields.PROGRAM_KEY}
    for definition in (declared["customer"][metafields.CUSTOMER_KEY], declared["shop"][metafields.PROGRAM_KEY]):
        assert definition["type"] == metafields.TYPE == "json"
        assert definition["access"] == {"admin": "merchant_read", "storefront": "public_read"}
        assert definition["name"] and definition["description"]
