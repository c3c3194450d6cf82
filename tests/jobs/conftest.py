"""Fixtures for background work: the fake services, an app pointed at them, a connected demo shop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shopify_app import create_app
from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.integrations import settings
from shopify_app.jobs import worker
from shopify_app.models import Shop
from shopify_app.shopify.oauth import TokenGrant
from shopify_app.shops.tokens import store_grant
from tests.fakes.shopify import FakeShopify
from tests.fakes.vendors import FakeKlaviyo, FakeOmnisend, FakePostscript

API_KEYS = {"klaviyo": "pk_test_klaviyo", "omnisend": "omni_test_key", "postscript": "sk_test_postscript"}


@pytest.fixture
def fakes() -> Iterator[SimpleNamespace]:
    with FakeShopify() as shopify, FakeKlaviyo() as klaviyo, FakeOmnisend() as omnisend, \
            FakePostscript() as postscript:
        yield SimpleNamespace(shopify=shopify, klaviyo=klaviyo, omnisend=omnisend, postscript=postscript)


def pointed_at(config: Config, fakes: SimpleNamespace, **overrides: Any) -> Config:
    return config.model_copy(update=dict(
        shopify_admin_origin=fakes.shopify.url, klaviyo_api_url=fakes.klaviyo.url,
        omnisend_api_url=fakes.omnisend.url, postscript_api_url=fakes.postscript.url,
        sync_coalesce_seconds=0.0, job_retry_intervals=(0, 0), **overrides,
    ))


@pytest.fixture
def sync_app(app_config: Config, fakes: SimpleNamespace) -> Iterator[Flask]:
    """The app with every outside URL pointed at the fakes and RQ retries immediate."""
    app = create_app(pointed_at(app_config, fakes))
    yield app
    engine_for(app).dispose()


@pytest.fixture
def sync_client(sync_app: Flask) -> FlaskClient:
    return sync_app.test_client()


def connect_shop(app: Flask, shop_id: str, *, expires_in: dt.timedelta = dt.timedelta(hours=1)) -> None:
    """Store an offline token pair as an install would, and each vendor's key."""
    config = app.config["LOYALTY"]
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, shop_id)
        store_grant(shop, TokenGrant("shpat_0", "write_customers", utcnow() + expires_in, "shprt_0",
                                     utcnow() + dt.timedelta(days=90)), config)
        for service, key in API_KEYS.items():
            settings.set_api_key(session, shop, service, key, config)


@pytest.fixture
def shop(sync_app: Flask, demo_shop: dict[str, Any], fakes: SimpleNamespace) -> dict[str, Any]:
    """The demo shop, connected, with a Postscript subscriber for Goldie (Shopify customer 1001)."""
    connect_shop(sync_app, demo_shop["shop_id"])
    fakes.postscript.subscribers.append({"id": "s_gold", "shopify_customer_id": "1001",
                                         "email": "gold@example.com", "properties": {}})
    return demo_shop


def award(client: FlaskClient, shop: dict[str, Any], action: str, customer: str = "gold@example.com") -> dict[str, Any]:
    response = client.post(f"/v1/earning-rules/{shop['rules'][action]}/award",
                           headers={"Authorization": shop["api_key"]}, json={"customer_identifier": customer})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["data"]  # type: ignore[no-any-return]


def work(app: Flask) -> None:
    """What `flask --app wsgi worker --burst` does, in this process."""
    worker.run(app, burst=True)
