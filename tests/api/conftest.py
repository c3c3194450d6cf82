"""Fixtures of the /v1 tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from shopify_app.db import sessionmaker_for
from tests import factories


@pytest.fixture
def other_key(app: Flask, demo_shop: dict[str, Any]) -> str:
    """A key of another shop, which has a customer and a rule of its own."""
    with sessionmaker_for(app).begin() as session:
        shop = factories.shop(session)
        factories.customer(session, shop, "9001", "other@example.com")
        factories.rule(session, shop)
        return factories.api_key(session, shop)
