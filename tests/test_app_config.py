"""shopify.app.toml against the code: every topic handled, every handler subscribed."""

from __future__ import annotations

import tomllib

from shopify_app.config import PROJECT_ROOT, SHOPIFY_API_VERSION, SHOPIFY_SCOPES
from shopify_app.jobs.webhook_topics import TOPICS

COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}


def app_toml() -> dict:  # type: ignore[type-arg]
    with open(PROJECT_ROOT / "shopify.app.toml", "rb") as file:
        return tomllib.load(file)


def test_every_toml_topic_has_a_handler_and_every_handler_a_toml_topic() -> None:
    webhooks = app_toml()["webhooks"]
    subscribed: set[str] = set()
    compliance: set[str] = set()
    for subscription in webhooks["subscriptions"]:
        assert subscription["uri"] == "/webhooks"
        subscribed |= set(subscription.get("topics", []))
        compliance |= set(subscription.get("compliance_topics", []))
    assert compliance == COMPLIANCE_TOPICS
    assert subscribed | compliance == TOPICS
    assert webhooks["api_version"] == SHOPIFY_API_VERSION == "2026-10"


def test_toml_declares_an_embedded_app_with_the_scopes_the_code_requires() -> None:
    config = app_toml()
    assert config["embedded"] is True and config["client_id"] and config["name"]
    assert config["access_scopes"]["scopes"] == SHOPIFY_SCOPES
    assert all(url.endswith("/auth/callback") for url in config["auth"]["redirect_urls"])

