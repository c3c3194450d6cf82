"""A key found live is trusted for a few seconds per process: a revocation elsewhere is refused within them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from shopify_app.clock import utcnow
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.errors import Unauthorized
from shopify_app.models import ApiKey
from shopify_app.shops import api_keys


def revoke_elsewhere(app: Flask) -> None:
    """Revoked as another process would: straight in the database, this process's copy untouched."""
    with sessionmaker_for(app).begin() as session:
        session.execute(update(ApiKey).values(revoked_at=utcnow()))


def test_a_key_revoked_elsewhere_is_refused_once_its_seconds_pass(app: Flask, demo_shop: dict[str, Any]) -> None:
    header = demo_shop["api_key"]
    start = utcnow()
    with sessionmaker_for(app)() as session:
        assert api_keys.authenticate(session, header, now=start).shop_id == demo_shop["shop_id"]
    revoke_elsewhere(app)
    with sessionmaker_for(app)() as session:
        key = api_keys.authenticate(session, header, now=start + api_keys.KEY_CACHE_TTL - dt.timedelta(seconds=1))
        shop = key.shop_in(session)  # the kept copy, the session's own
        assert shop.settings is not None and shop in session and shop.id == demo_shop["shop_id"]
    with sessionmaker_for(app)() as session, pytest.raises(Unauthorized):
        api_keys.authenticate(session, header, now=start + api_keys.KEY_CACHE_TTL)


def test_requests_within_the_seconds_read_no_key_row(client: FlaskClient, app: Flask,
                                                     demo_shop: dict[str, Any]) -> None:
    statements: list[str] = []
    event.listen(engine_for(app), "before_cursor_execute",
                 lambda _conn, _cursor, sql, *_: statements.append(sql))
    url = f"/v1/earning-rules/{demo_shop['rules']['follow_on_instagram']}/award"
    headers = {"Authorization": demo_shop["api_key"]}
    for member in ("1001", "1002"):
        assert client.post(url, json={"customer_identifier": member}, headers=headers).status_code == 201
    # The first request reads the key and writes its last_used_at; the second reads nothing of it.
    assert sum("api_keys" in sql for sql in statements) == 2


def test_a_key_revoked_in_this_process_is_refused_at_once(client: FlaskClient, app: Flask,
                                                          demo_shop: dict[str, Any]) -> None:
    url = f"/v1/earning-rules/{demo_shop['rules']['follow_on_instagram']}/award"
    headers = {"Authorization": demo_shop["api_key"]}
    assert client.post(url, json={"customer_identifier": "1001"}, headers=headers).status_code == 201
    with sessionmaker_for(app).begin() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.read_only.is_(False))).one()
        api_keys.revoke(session, key.shop_id, key.id)
    assert client.post(url, json={"customer_identifier": "1002"}, headers=headers).status_code == 401
