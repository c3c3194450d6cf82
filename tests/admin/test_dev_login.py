"""The demo login: off unless asked for, the demo shop only, a POST with a CSRF token, never beside
a real Shopify secret; sessions signed with SECRET_KEY."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopify_app import create_app
from shopify_app.config import DEV_API_SECRET, DEV_DATA_ENCRYPTION_KEY, DEV_SECRET_KEY, Config, ConfigError
from shopify_app.db import engine_for
from shopify_app.devtools import demo
from tests import factories
from tests.admin.conftest import csrf_of, log_in_to_the_demo

REAL_SECRET = "shpss_" + "r" * 32
PRODUCTION = {"APP_ENV": "production", "SHOPIFY_API_KEY": "k" * 32, "SHOPIFY_API_SECRET": REAL_SECRET,
              "SECRET_KEY": "c" * 40, "DATA_ENCRYPTION_KEY": "d" * 44, "DATABASE_URL": "postgresql://db/x",
              "REDIS_URL": "redis://r"}


def _signed_in(client: FlaskClient) -> bool:
    """Whether the admin answers the page or sends the browser to the bounce page for a session token."""
    response = client.get("/admin/customers")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _forged_session(secret: str, values: dict[str, Any]) -> str:
    """A session cookie as Flask would write it if ``secret`` were its SECRET_KEY."""
    signer = Flask(__name__)
    signer.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(signer).dumps(values)  # type: ignore[union-attr]


def test_dev_login_is_off_without_admin_dev_login(app: Flask, dev_login_app: Flask, demo_shop) -> None:
    # Whatever APP_ENV says, or when it is not set at all.
    for environ in ({}, {"APP_ENV": "development"}, {"APP_ENV": "test"}, {"ADMIN_DEV_LOGIN": "0"}):
        assert Config.from_env(environ).admin_dev_login is False, environ
    assert Config.from_env({"ADMIN_DEV_LOGIN": "1"}).admin_dev_login is True

    client = app.test_client()
    assert client.get("/admin/dev-login").status_code == 404
    assert client.post("/admin/dev-login").status_code == 404
    assert "/admin/dev-login" not in client.get("/admin/session-bounce").get_data(as_text=True)
    # A demo session from a server that has the login (same SECRET_KEY) opens nothing here.
    demo_browser = dev_login_app.test_client()
    log_in_to_the_demo(demo_browser)
    cookie = demo_browser.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value)
    assert not _signed_in(client)


def test_dev_login_serves_only_the_demo_shop(dev_login_app: Flask, session: Session) -> None:
    victim = factories.shop(session, "victim.myshopify.com")
    factories.customer(session, victim, "501", "secret@victim.example")
    session.commit()
    client = dev_login_app.test_client()
    page = client.get("/admin/dev-login", query_string={"shop": victim.domain})
    assert page.status_code == 200 and victim.domain not in page.get_data(as_text=True)
    token = csrf_of(page.get_data(as_text=True))
    # With no demo shop seeded, naming another shop does not fall back to it.
    refused = client.post("/admin/dev-login", query_string={"shop": victim.domain},
                          data={"csrf_token": token, "shop": victim.domain})
    assert refused.status_code == 404 and "demo seed" in refused.get_data(as_text=True)
    assert not _signed_in(client)

    demo.seed(session, DEV_API_SECRET)
    session.commit()
    assert client.post("/admin/dev-login", query_string={"shop": victim.domain},
                       data={"csrf_token": token, "shop": victim.domain}).status_code == 303
    listing = client.get("/admin/customers", query_string={"shop": victim.domain})
    assert "gold@example.com" in listing.get_data(as_text=True)
    assert "secret@victim.example" not in listing.get_data(as_text=True)
    assert victim.domain not in listing.headers["Content-Security-Policy"]


def test_dev_login_needs_a_post_with_a_csrf_token(dev_login_app: Flask, demo_shop) -> None:
    client = dev_login_app.test_client()
    page = client.get("/admin/dev-login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'method="post"' in html and "Open the demo admin" in html
    assert not _signed_in(client), "a GET must not log in"
    login_token = csrf_of(html)

    assert client.post("/admin/dev-login").status_code == 403
    assert client.post("/admin/dev-login", data={"csrf_token": "guess"}).status_code == 403
    other_browser = dev_login_app.test_client()
    other_token = csrf_of(other_browser.get("/admin/dev-login").get_data(as_text=True))
    assert client.post("/admin/dev-login", data={"csrf_token": other_token}).status_code == 403
    # A cross-site form post arrives with no session cookie at all (SameSite=Lax keeps it back).
    assert dev_login_app.test_client().post("/admin/dev-login", data={"csrf_token": login_token}).status_code == 403
    assert not _signed_in(client)

    response = client.post("/admin/dev-login", data={"csrf_token": login_token})
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/")
    assert _signed_in(client)
    # The login starts a new session: the token of the login page is not the admin forms' token.
    assert csrf_of(client.get("/admin/settings").get_data(as_text=True)) != login_token


def test_app_refuses_dev_login_with_a_real_shopify_secret(app_config: Config) -> None:
    for environ in ({"SHOPIFY_API_SECRET": REAL_SECRET},
                    {"APP_ENV": "development", "SHOPIFY_API_SECRET": REAL_SECRET},
                    {"SHOPIFY_API_SECRET_PREVIOUS": REAL_SECRET}):
        with pytest.raises(ConfigError, match="ADMIN_DEV_LOGIN=1 needs the development SHOPIFY_API_SECRET"):
            Config.from_env({**environ, "ADMIN_DEV_LOGIN": "1"})
        assert Config.from_env(environ).admin_dev_login is False
    # A Config built by hand does not get past create_app either.
    with pytest.raises(ConfigError, match="ADMIN_DEV_LOGIN=1 needs the development SHOPIFY_API_SECRET"):
        create_app(app_config.model_copy(update={"admin_dev_login": True, "shopify_api_secret": REAL_SECRET}))


def test_production_cannot_enable_the_demo_login(app_config: Config) -> None:
    assert Config.from_env(PRODUCTION).admin_dev_login is False
    with pytest.raises(ConfigError, match="ADMIN_DEV_LOGIN"):
        Config.from_env({**PRODUCTION, "ADMIN_DEV_LOGIN": "1"})
    forced = app_config.model_copy(update={"env": "production", "admin_dev_login": True})
    with pytest.raises(ConfigError, match="ADMIN_DEV_LOGIN"):
        create_app(forced)


def test_sessions_are_signed_with_secret_key_not_the_shopify_secret(app_config: Config, demo_shop) -> None:
    assert Config.from_env({"SECRET_KEY": "from-the-environment"}).secret_key == "from-the-environment"
    config = app_config.model_copy(update={"admin_dev_login": True, "secret_key": "session-key-" + "q" * 32})
    keyed = create_app(config)
    try:
        demo_session = {"admin_dev_login": True, "admin_csrf": "t" * 43}
        with_shopify_secret = keyed.test_client()
        with_shopify_secret.set_cookie("session", _forged_session(config.shopify_api_secret, demo_session))
        assert not _signed_in(with_shopify_secret)
        with_secret_key = keyed.test_client()
        with_secret_key.set_cookie("session", _forged_session(config.secret_key, demo_session))
        assert _signed_in(with_secret_key)
    finally:
        engine_for(keyed).dispose()


def test_production_requires_a_secret_key_of_its_own() -> None:
    assert Config.from_env(PRODUCTION).secret_key == "c" * 40
    unset = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    for environ, problem in ((unset, "SECRET_KEY must be set"),
                             ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY must be set"),
                             ({**PRODUCTION, "SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY must be set"),
                             ({**PRODUCTION, "SECRET_KEY": REAL_SECRET}, "SECRET_KEY must differ from the Shopify")):
        with pytest.raises(ConfigError, match=problem):
            Config.from_env(environ)


def test_production_requires_a_data_encryption_key_of_its_own() -> None:
    assert Config.from_env(PRODUCTION).data_encryption_key == "d" * 44
    assert Config.from_env({**PRODUCTION, "DATA_ENCRYPTION_KEY_PREVIOUS": REAL_SECRET}).data_encryption_key_previous
    assert Config.from_env({}).data_encryption_key == DEV_DATA_ENCRYPTION_KEY  # development works as it is
    unset = {k: v for k, v in PRODUCTION.items() if k != "DATA_ENCRYPTION_KEY"}
    for environ, problem in ((unset, "DATA_ENCRYPTION_KEY must be set"),
                             ({**PRODUCTION, "DATA_ENCRYPTION_KEY": DEV_DATA_ENCRYPTION_KEY}, "must be set"),
                             ({**PRODUCTION, "DATA_ENCRYPTION_KEY": "short"}, "at least 32"),
                             ({**PRODUCTION, "DATA_ENCRYPTION_KEY": REAL_SECRET}, "must differ"),
                             ({**PRODUCTION, "DATA_ENCRYPTION_KEY": "c" * 40}, "must differ")):
        with pytest.raises(ConfigError, match=problem):
            Config.from_env(environ)
