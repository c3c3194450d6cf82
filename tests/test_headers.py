"""Headers every response carries, and the session cookie's flags."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import engine_for
from tests.admin.conftest import log_in_to_the_demo


def _every_route() -> list[tuple[str, str]]:
    probe = create_app(Config(env="test", instance_path=Path(tempfile.mkdtemp())))
    routes = [(method, re.sub(r"<[^>]+>", "x1", rule.rule))
              for rule in probe.url_map.iter_rules() for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes + [("GET", "/static/admin/admin.css"), ("GET", "/no-such-page"), ("DELETE", "/webhooks"),
                     ("GET", "/v1/no-such-thing")]


@pytest.mark.parametrize(("method", "url"), _every_route())
def test_every_response_has_nosniff(client, demo_shop, method: str, url: str) -> None:
    response = client.open(url, method=method)
    assert response.headers["X-Content-Type-Options"] == "nosniff", response.status_code


def _cookie_flags(response: TestResponse) -> set[str]:
    return {flag.strip().lower() for flag in response.headers["Set-Cookie"].split(";")[1:]}


def _assert_secure_and_lax(flags: set[str], secure: bool) -> None:
    assert {"samesite=lax", "httponly"} <= flags, flags
    assert ("secure" in flags) is secure, flags


@pytest.mark.parametrize(("app_url", "secure"), [("https://loyalty.example", True), ("http://127.0.0.1:8000", False)])
def test_session_cookie_is_secure_and_lax(app_config: Config, demo_shop, app_url: str, secure: bool) -> None:
    served: Flask = create_app(app_config.model_copy(update={"admin_dev_login": True, "app_url": app_url}))
    try:
        client = served.test_client()
        login_page = client.get("/admin/dev-login", base_url=app_url)  # its session holds the form's CSRF token
        _assert_secure_and_lax(_cookie_flags(login_page), secure)
        _assert_secure_and_lax(_cookie_flags(log_in_to_the_demo(client, base_url=app_url)), secure)
    finally:
        engine_for(served).dispose()
