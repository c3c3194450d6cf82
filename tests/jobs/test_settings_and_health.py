"""Integration settings from the CLI (keys encrypted at rest) and the /readyz eviction warning."""

from __future__ import annotations

from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import create_app, crypto
from shopify_app.config import Config
from shopify_app.db import engine_for
from shopify_app.models import IntegrationSetting
from tests.jobs.own_redis import OwnRedis


def test_integration_keys_are_stored_encrypted_and_can_be_disabled(app: Flask, demo_shop: dict[str, Any],
                                                                   session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["integrations", "set", demo_shop["domain"], "klaviyo", "--api-key", "pk_secret_1"])
    assert result.exit_code == 0, result.output
    setting = session.scalars(select(IntegrationSetting)).one()
    assert "pk_secret_1" not in (setting.api_key_ciphertext or "")
    assert crypto.decrypt(setting.api_key_ciphertext or "", app.config["LOYALTY"]) == "pk_secret_1"
    assert setting.enabled

    assert runner.invoke(args=["integrations", "disable", demo_shop["domain"], "klaviyo"]).exit_code == 0
    session.refresh(setting)
    assert not setting.enabled

    unknown = runner.invoke(args=["integrations", "set", demo_shop["domain"], "mailchimp", "--api-key", "k"])
    assert unknown.exit_code != 0 and "unknown service 'mailchimp'" in unknown.output
    missing = runner.invoke(args=["integrations", "set", "nope.myshopify.com", "klaviyo", "--api-key", "k"])
    assert missing.exit_code != 0 and "no shop nope.myshopify.com" in missing.output


def test_readyz_warns_when_redis_may_evict_queue_keys(app_config: Config) -> None:
    server = OwnRedis("--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru").start()
    app = create_app(Config(**{**app_config.__dict__, "redis_url": server.url}))
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 200
        assert response.get_json()["warnings"] == [
            "redis maxmemory-policy is allkeys-lru; set noeviction so queued jobs are never evicted"]
        Redis.from_url(server.url).config_set("maxmemory-policy", "noeviction")
        assert app.test_client().get("/readyz").get_json()["warnings"] == []
    finally:
        engine_for(app).dispose()
        server.close()

