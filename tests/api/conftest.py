"""Fixtures of the /v1 tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from tests import factories
from tests.fakes.shopify import FakeShopify
from tests.jobs.conftest import connect_shop


@pytest.fixture
def other_key(app: Flask, demo_shop: dict[str, Any]) -> str:
    """A key of another shop, which has a customer and a rule of its own."""
    with sessionmaker_for(app).begin() as session:
        shop = factories.shop(session)
        factories.customer(session, shop, "9001", "other@example.com")
        factories.rule(session, shop)
        return factories.api_key(session, shop)


@pytest.fixture
def shopify_app(app_config: Config, demo_shop: dict[str, Any]) -> Iterator[tuple[Flask, FakeShopify]]:
    """The app with the Admin API pointed at a fake Shopify, and the demo shop connected to it."""
    with FakeShopify() as shopify:
        app = create_app(app_config.model_copy(update={"shopify_admin_origin": shopify.url}))
        connect_shop(app, demo_shop["shop_id"])
        yield app, shopify
        engine_for(app).dispose()
