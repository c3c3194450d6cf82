"""The shop's Shopify id and time zone, read after an install through the Admin API's
``shop { id ianaTimezone }``: webhook payloads must name the id, the admin shows times in the zone.
An install never waits for them, or fails for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.jobs.webhooks import enqueue_unprocessed_deliveries
from shopify_app.models import EarningRule, Shop
from tests import factories
from tests.fakes.shopify import FakeShopify
from tests.shopify_signing import run_jobs, work

SHOP = "id-shop.myshopify.com"


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    with FakeShopify(shop_id="68000000077") as fake:
        yield fake


@pytest.fixture
def shopify_app(app_config: Config, shopify: FakeShopify) -> Iterator[Flask]:
    app = create_app(app_config.model_copy(update={"shopify_admin_origin": shopify.url}))
    yield app
    engine_for(app).dispose()


def first_load(app: Flask) -> None:
    token = factories.session_token(app.config["LOYALTY"], SHOP)
    assert app.test_client().get("/admin/", query_string={"id_token": token}).status_code == 200


def shop(app: Flask) -> Shop:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Shop).where(Shop.domain == SHOP)).one()


def test_the_set_up_job_after_an_install_keeps_the_shops_id(shopify_app: Flask, redis: Redis,
                                                            shopify: FakeShopify) -> None:
    first_load(shopify_app)
    assert shop(shopify_app).shopify_shop_id is None  # the page load did not wait for it
    run_jobs(shopify_app, redis)
    installed = shop(shopify_app)
    assert (installed.shopify_shop_id, installed.iana_timezone) == ("68000000077", "America/Toronto")
    [query] = [r for r in shopify.received("POST", shopify.graphql_path()) if "shop { id" in r.json["query"]]
    assert query.headers["X-Shopify-Access-Token"] == "shpat_1"  # the token the exchange just gave


def test_an_install_succeeds_when_shopify_cannot_give_the_shop_id_and_the_sweep_reads_it_later(
        shopify_app: Flask, redis: Redis, shopify: FakeShopify) -> None:
    shopify.fail(shopify.graphql_path(), 403, times=1)
    first_load(shopify_app)
    assert work(shopify_app, redis).scheduled_job_registry.count == 1  # failed; RQ retries it later
    installed = shop(shopify_app)
    assert installed.installed_at is not None and installed.shopify_shop_id is None
    with sessionmaker_for(shopify_app)() as session:
        assert len(session.scalars(select(EarningRule).where(EarningRule.shop_id == installed.id)).all()) == 2
        redis.flushdb()  # the set-up job's retry is lost too
        later = installed.installed_at.replace(year=installed.installed_at.year + 1)
        assert enqueue_unprocessed_deliveries(session, redis, now=later) == 1
    run_jobs(shopify_app, redis)
    assert shop(shopify_app).shopify_shop_id == "68000000077"
    with sessionmaker_for(shopify_app)() as session:
        assert enqueue_unprocessed_deliveries(session, redis, now=later) == 0
