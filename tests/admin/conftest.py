"""Admin fixtures: clients signed in by session token (embedded) or by the demo login."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories


class TokenClient:
    """A test client whose every call carries a fresh session token, as App Bridge's fetch does."""

    def __init__(self, app: Flask, shop_domain: str) -> None:
        self.client = app.test_client()
        self.config = app.config["LOYALTY"]
        self.shop_domain = shop_domain

    def _headers(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        token = factories.session_token(self.config, self.shop_domain)
        return {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self._headers(kwargs), **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self._headers(kwargs), **kwargs)


@pytest.fixture
def admin(app: Flask, demo_shop: dict[str, Any]) -> TokenClient:
    return TokenClient(app, demo_shop["domain"])


@pytest.fixture
def demo_client(app: Flask, demo_shop: dict[str, Any]) -> FlaskClient:
    """Signed in through the development login; its forms need the CSRF token."""
    client = app.test_client()
    assert client.get("/admin/dev-login").status_code == 302
    return client
