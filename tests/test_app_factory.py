"""The app class: Flask, with its coroutine check of hooks and views made once per function."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask.app
import pytest
from flask import Flask

from shopify_app import create_app
from shopify_app.config import Config
from shopify_app.db import dispose


@pytest.fixture
def fresh_app(app_config: Config) -> Iterator[Flask]:
    """An app of its own, which has served no request (the session's app has)."""
    app = create_app(app_config)
    yield app
    dispose(app)


def test_hooks_and_views_are_checked_for_coroutines_once(fresh_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[Any] = []
    real_check = flask.app.iscoroutinefunction

    def counting_check(func: Any) -> bool:
        checked.append(func)
        return real_check(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting_check)
    client = fresh_app.test_client()
    assert client.get("/healthz").status_code == 200
    first = len(checked)
    assert first > 0
    assert client.get("/healthz").status_code == 200
    assert len(checked) == first
    assert len(set(checked)) == first


def test_a_coroutine_view_is_still_refused_without_flask_async(fresh_app: Flask) -> None:
    async def view() -> str:
        return "never"

    with pytest.raises(RuntimeError, match="async"):
        fresh_app.ensure_sync(view)
    with pytest.raises(RuntimeError, match="async"):
        fresh_app.ensure_sync(view)
