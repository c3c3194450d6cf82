"""The shop's program metafield, which the storefront widget reads: written on install and on every
settings save, not only after the first rule edit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask
from redis import Redis

from tests import factories
from tests.admin.conftest import TokenClient
from tests.jobs.conftest import work
from tests.shopify_signing import run_jobs

PROGRAM = ("gid://shopify/Shop/1", "loyalty_program")


def test_the_program_metafield_is_written_on_install(sync_app: Flask, redis: Redis, fakes: SimpleNamespace) -> None:
    shop = "fresh-install.myshopify.com"
    token = factories.session_token(sync_app.config["LOYALTY"], shop)
    # Shopify opens App Home after its managed install; the first load exchanges the session token.
    opened = sync_app.test_client().get("/", query_string={"embedded": "1", "shop": shop, "id_token": token})
    assert opened.status_code == 200
    run_jobs(sync_app, redis)  # the program set-up the install queued
    work(sync_app)  # the outbox rows it wrote
    program = fakes.shopify.metafields[PROGRAM]
    assert program["points_name"] == "Points"
    assert sorted(rule["action"] for rule in program["earning_rules"]) == ["place_order", "signup"]
    assert [tier["name"] for tier in program["tiers"]] == ["Bronze", "Silver", "Gold"]


def test_the_program_metafield_follows_a_settings_save(sync_app: Flask, shop: dict[str, Any],
                                                        fakes: SimpleNamespace) -> None:
    admin = TokenClient(sync_app, shop["domain"])
    saved = admin.post("/admin/settings/program", data={"points_expiry_days": "0", "points_name": "Stars"})
    assert saved.status_code == 303
    work(sync_app)
    assert fakes.shopify.metafields[PROGRAM]["points_name"] == "Stars"
