"""Admin fixtures: clients signed in by session token (embedded) or by the demo login."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shopify_app import create_app
from shopify_app.admin.form_tokens import new_form_token
from shopify_app.config import Config
from shopify_app.db import engine_for
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
        """A post of a freshly rendered form: it carries a new one-time form token unless given one."""
        data = kwargs.pop("data", None) or {}
        if isinstance(data, dict) and "form_token" not in data and not url.startswith("/admin/api/"):
            data = {**data, "form_token": new_form_token()}
        return self.client.post(url, headers=self._headers(kwargs), data=data, **kwargs)


@pytest.fixture
def admin(app: Flask, demo_shop: dict[str, Any]) -> TokenClient:
    return TokenClient(app, demo_shop["domain"])


@pytest.fixture(scope="session")
def dev_login_app(app: Flask, app_config: Config) -> Iterator[Flask]:
    """The test app with ADMIN_DEV_LOGIN=1 (as bin/dev runs it), on the same database and Redis."""
    dev_app = create_app(app_config.model_copy(update={"admin_dev_login": True}))
    dev_app.config["TESTING"] = True
    yield dev_app
    engine_for(dev_app).dispose()


def csrf_of(page: str) -> str:
    """The CSRF token a demo-login page's forms carry."""
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def form_token_of(page: str) -> str:
    """The one-time token of the first form on an admin page."""
    return page.split('name="form_token" value="')[1].split('"')[0]


def log_in_to_the_demo(client: FlaskClient, **request: Any) -> TestResponse:
    """What the demo login page's button does: post the page's CSRF token."""
    page = client.get("/admin/dev-login", **request).get_data(as_text=True)
    response = client.post("/admin/dev-login", data={"csrf_token": csrf_of(page)}, **request)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


@pytest.fixture
def demo_client(dev_login_app: Flask, demo_shop: dict[str, Any]) -> FlaskClient:
    """Signed in through the demo login; its forms need the CSRF token."""
    client = dev_login_app.test_client()
    log_in_to_the_demo(client)
    return client
