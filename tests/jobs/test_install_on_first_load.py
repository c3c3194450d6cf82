"""Shopify-managed install: the first admin page load exchanges its session token, once."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Flask
from redis import Redis
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import EarningRule, Shop, VipTier
from shopify_app.shops.tokens import has_valid_token
from tests import factories
from tests.shopify_signing import run_jobs

SHOP = "managed-install.myshopify.com"


def test_first_page_load_installs_the_shop_and_sets_up_its_program(sync_app: Flask, redis: Redis,
                                                                   fakes: SimpleNamespace) -> None:
    client = sync_app.test_client()
    config = sync_app.config["LOYALTY"]

    first = client.get("/admin/", query_string={"id_token": factories.session_token(config, SHOP)})
    assert first.status_code == 200
    [exchange] = [r for r in fakes.shopify.requests if r.path == "/admin/oauth/access_token"]
    assert (exchange.json["expiring"], exchange.json["subject_token_type"]) == (
        "1", "urn:ietf:params:oauth:token-type:id_token")

    run_jobs(sync_app, redis)  # the program set-up queued by the install
    with sessionmaker_for(sync_app)() as session:
        shop = session.scalars(select(Shop).where(Shop.domain == SHOP)).one()
        assert has_valid_token(shop) and shop.installed_at is not None
        assert "shpat_" not in (shop.access_token_ciphertext or "")
        categories = set(session.scalars(select(EarningRule.category).where(EarningRule.shop_id == shop.id)))
        tiers = session.scalars(select(VipTier).where(VipTier.shop_id == shop.id)).all()
    assert {"purchase", "signup"} <= categories and tiers

    # Later loads use the stored token: no second exchange, which would retire the refresh token.
    later = client.get("/admin/customers", query_string={"id_token": factories.session_token(config, SHOP)})
    assert later.status_code == 200
    assert fakes.shopify.exchanges == 1
