"""A token Shopify refuses (invalid_grant on refresh, or a 401 from the Admin API) is cleared; the shop's
Shopify work waits, the admin says "reconnect", and the next admin load exchanges a new token."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.devtools.demo import DEMO_SHOP
from shopify_app.jobs import queues
from shopify_app.models import Shop
from shopify_app.shops.tokens import awaits_reconnect
from tests import factories
from tests.jobs.conftest import award, connect_shop, work
from tests.jobs.test_delivery import statuses

METAFIELD = "shopify.customer_metafield"


def _installed(app: Flask, shop_id: str, *, expires_in: dt.timedelta) -> None:
    connect_shop(app, shop_id, expires_in=expires_in)
    with sessionmaker_for(app).begin() as session:
        session.get_one(Shop, shop_id).installed_at = utcnow() - dt.timedelta(days=1)


def _shop(app: Flask, shop_id: str) -> Shop:
    with sessionmaker_for(app)() as session:
        shop = session.get_one(Shop, shop_id)
        session.expunge(shop)
        return shop


@pytest.mark.parametrize("refusal", ["invalid_grant on refresh", "401 from the Admin API"])
def test_a_refused_token_is_cleared_work_waits_and_the_next_admin_load_reconnects(
        refusal: str, sync_app: Flask, sync_client: FlaskClient, demo_shop: dict[str, Any], fakes: SimpleNamespace,
        session: Session, redis: Redis) -> None:
    shop_id, config = demo_shop["shop_id"], sync_app.config["LOYALTY"]
    if refusal == "invalid_grant on refresh":
        _installed(sync_app, shop_id, expires_in=dt.timedelta(minutes=1))  # the delivery must refresh it
        fakes.shopify.live_refresh_token = "shprt_revoked_elsewhere"
    else:
        _installed(sync_app, shop_id, expires_in=dt.timedelta(hours=1))
        fakes.shopify.valid_tokens.clear()  # the merchant's store revoked the token

    award(sync_client, demo_shop, "follow_on_instagram")
    work(sync_app)
    shop = _shop(sync_app, shop_id)
    assert (shop.access_token_ciphertext, shop.refresh_token_ciphertext) == (None, None) and awaits_reconnect(shop)
    assert statuses(session)[METAFIELD] == ["pending"]  # waiting, not failed
    assert statuses(session)["klaviyo"] == ["done"]  # vendors need no Shopify token
    assert queues.queue(redis, queues.SYNC).failed_job_registry.count == 0
    assert fakes.shopify.writes == []

    work(sync_app)  # while the shop has no token its Shopify work stays pending: no job spins on it
    session.expire_all()
    assert statuses(session)[METAFIELD] == ["pending"] and fakes.shopify.writes == []

    admin = sync_app.test_client()
    token = factories.session_token(config, DEMO_SHOP)
    fetched = admin.get("/admin/", headers={"Authorization": f"Bearer {token}"})  # in-app navigation: a fetch
    assert fetched.status_code == 200 and 'id="reconnect"' in fetched.get_data(as_text=True)
    assert f'href="https://{DEMO_SHOP}/admin/apps/{config.shopify_api_key}" target="_top"' in fetched.get_data(
        as_text=True)  # a full load of the app inside the admin, which brings a new session token
    assert fakes.shopify.exchanges == 0
    loaded = admin.get("/admin/", query_string={"id_token": factories.session_token(config, DEMO_SHOP)})
    assert loaded.status_code == 200 and 'id="reconnect"' not in loaded.get_data(as_text=True)
    assert fakes.shopify.exchanges == 1
    assert not awaits_reconnect(_shop(sync_app, shop_id))

    work(sync_app)
    session.expire_all()
    assert statuses(session)[METAFIELD] == ["done"]
    [write] = [w for w in fakes.shopify.writes if w["key"] == "loyalty"]
    assert write["ownerId"] == "gid://shopify/Customer/1001"
    assert fakes.shopify.received("POST", "/admin/api/2026-10/graphql.json")[-1].headers[
        "X-Shopify-Access-Token"] == f"shpat_{fakes.shopify.refreshes}"  # the exchanged token
    assert queues.queue(redis, queues.SYNC).failed_job_registry.count == 0
