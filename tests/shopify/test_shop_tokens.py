"""Offline tokens: encrypted at rest, refreshed ahead of expiry, one refresh per shop at a time."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from flask import Flask
from redis import Redis
from sqlalchemy.orm import Session

from shopify_app import crypto
from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.db import sessionmaker_for
from shopify_app.models import Shop
from shopify_app.shopify.oauth import TokenRequestError, exchange_session_token
from shopify_app.shops.tokens import ShopNotConnected, fresh_access_token, has_valid_token, store_grant
from tests import factories


class FakeTokenEndpoint:
    """Shopify's /admin/oauth/access_token: each refresh retires the refresh token it used."""

    def __init__(self) -> None:
        self.live_refresh_token = "shprt_0"
        self.refreshes = 0
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if body.get("grant_type") == "refresh_token":
            with self.lock:
                if body["refresh_token"] != self.live_refresh_token:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                time.sleep(0.05)  # a slow answer widens the window for a racing refresher
                self.refreshes += 1
                self.live_refresh_token = f"shprt_{self.refreshes}"
            return httpx.Response(200, json=self._grant(f"shpat_{self.refreshes}"))
        if body.get("subject_token") == "bad":
            return httpx.Response(400, json={"error": "invalid_subject_token"})
        return httpx.Response(200, json=self._grant("shpat_0"))

    def _grant(self, access_token: str) -> dict[str, object]:
        return {"access_token": access_token, "scope": "read_customers", "expires_in": 3600,
                "refresh_token": self.live_refresh_token, "refresh_token_expires_in": 7776000}


@pytest.fixture
def endpoint() -> FakeTokenEndpoint:
    return FakeTokenEndpoint()


@pytest.fixture
def http(endpoint: FakeTokenEndpoint) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(endpoint))


def connected_shop(session: Session, config: Config, http: httpx.Client, *, expires_in: dt.timedelta) -> Shop:
    shop = factories.shop(session, "tokens.myshopify.com")
    grant = exchange_session_token(http, config, shop.domain, "id-token")
    store_grant(shop, grant, config)
    shop.access_token_expires_at = utcnow() + expires_in
    session.commit()
    return shop


def test_exchange_asks_for_an_expiring_offline_token(app: Flask, session: Session, http: httpx.Client,
                                                     endpoint: FakeTokenEndpoint) -> None:
    config = app.config["LOYALTY"]
    shop = connected_shop(session, config, http, expires_in=dt.timedelta(hours=1))
    request = endpoint.requests[0]
    assert request["expiring"] == "1"
    assert request["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    assert request["client_secret"] == config.shopify_api_secret
    assert "shpat_0" not in (shop.access_token_ciphertext or "")
    assert "shprt_0" not in (shop.refresh_token_ciphertext or "")
    assert has_valid_token(shop)


def test_refused_exchange_raises_with_shopify_error(app: Flask, http: httpx.Client) -> None:
    with pytest.raises(TokenRequestError) as raised:
        exchange_session_token(http, app.config["LOYALTY"], "tokens.myshopify.com", "bad")
    assert (raised.value.status, raised.value.error) == (400, "invalid_subject_token")


def test_fresh_token_is_used_without_refresh(app: Flask, session: Session, http: httpx.Client, redis: Redis,
                                             endpoint: FakeTokenEndpoint) -> None:
    config = app.config["LOYALTY"]
    shop = connected_shop(session, config, http, expires_in=dt.timedelta(hours=1))
    assert fresh_access_token(sessionmaker_for(app), shop.id, config, redis, http) == "shpat_0"
    assert endpoint.refreshes == 0


def test_two_workers_refreshing_at_once_refresh_once(app: Flask, session: Session, http: httpx.Client,
                                                     redis: Redis, endpoint: FakeTokenEndpoint) -> None:
    config = app.config["LOYALTY"]
    shop = connected_shop(session, config, http, expires_in=dt.timedelta(minutes=2))
    start = threading.Barrier(2)

    def refresh(_: int) -> str:
        start.wait()
        return fresh_access_token(sessionmaker_for(app), shop.id, config, redis, http)

    with ThreadPoolExecutor(2) as pool:
        tokens = list(pool.map(refresh, range(2)))
    assert tokens == ["shpat_1", "shpat_1"]
    assert endpoint.refreshes == 1
    # The stored refresh token is the live one, so the shop keeps working at the next refresh.
    with sessionmaker_for(app).begin() as fresh_session:
        stored = fresh_session.get(Shop, shop.id)
        assert stored is not None
        stored.access_token_expires_at = utcnow()
    assert fresh_access_token(sessionmaker_for(app), shop.id, config, redis, http) == "shpat_2"


def test_uninstalled_or_expired_refresh_token_is_not_connected(app: Flask, session: Session, http: httpx.Client,
                                                               redis: Redis) -> None:
    config = app.config["LOYALTY"]
    shop = connected_shop(session, config, http, expires_in=dt.timedelta(seconds=-1))
    shop.refresh_token_expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert not has_valid_token(shop)
    with pytest.raises(ShopNotConnected):
        fresh_access_token(sessionmaker_for(app), shop.id, config, redis, http)
    shop.uninstalled_at = utcnow()
    session.commit()
    with pytest.raises(ShopNotConnected):
        fresh_access_token(sessionmaker_for(app), shop.id, config, redis, http)



def test_tokens_under_the_previous_data_key_still_work_and_are_rewritten_under_the_new_one(
        app: Flask, session: Session, http: httpx.Client, redis: Redis, endpoint: FakeTokenEndpoint) -> None:
    before = app.config["LOYALTY"].model_copy(update=dict(data_encryption_key="before-" + "b" * 40))
    rotated = before.model_copy(update=dict(data_encryption_key="after-" + "a" * 40,
                                  data_encryption_key_previous=before.data_encryption_key))
    shop = connected_shop(session, before, http, expires_in=dt.timedelta(hours=1))
    assert fresh_access_token(sessionmaker_for(app), shop.id, rotated, redis, http) == "shpat_0"
    shop.access_token_expires_at = utcnow()  # the next use refreshes, and writes the new pair
    session.commit()
    assert fresh_access_token(sessionmaker_for(app), shop.id, rotated, redis, http) == "shpat_1"
    session.refresh(shop)
    current_only = rotated.model_copy(update=dict(data_encryption_key_previous=""))
    assert crypto.decrypt(shop.access_token_ciphertext or "", current_only) == "shpat_1"
    assert crypto.decrypt(shop.refresh_token_ciphertext or "", current_only) == "shprt_1"
    with pytest.raises(ValueError):
        crypto.decrypt(shop.access_token_ciphertext or "", before)


def test_a_refused_refresh_clears_the_pair_and_a_failing_shopify_keeps_it(
        app: Flask, session: Session, http: httpx.Client, redis: Redis, endpoint: FakeTokenEndpoint) -> None:
    config = app.config["LOYALTY"]
    shop = connected_shop(session, config, http, expires_in=dt.timedelta(minutes=1))
    unavailable = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(503, json={})))
    with pytest.raises(TokenRequestError):
        fresh_access_token(sessionmaker_for(app), shop.id, config, redis, unavailable)
    session.refresh(shop)
    assert shop.refresh_token_ciphertext is not None  # Shopify failing is no refusal: the pair is kept

    endpoint.live_refresh_token = "shprt_from_another_install"
    with pytest.raises(ShopNotConnected, match="refused"):
        fresh_access_token(sessionmaker_for(app), shop.id, config, redis, http)
    session.refresh(shop)
    assert (shop.access_token_ciphertext, shop.refresh_token_ciphertext, shop.access_token_expires_at) == (
        None, None, None)
