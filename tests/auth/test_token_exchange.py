"""Shopify-managed install: the first admin load's session token exchanged for an expiring offline token."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.config import SHOPIFY_SCOPES
from shopify_app.db import sessionmaker_for
from shopify_app.errors import Unauthorized
from shopify_app.loyalty.program.defaults import set_up_default_program
from shopify_app.models import EarningRule, Shop, VipTier
from shopify_app.shops.installs import ShopifyUnavailable, install_from_session_token
from tests import factories
from tests.shopify_signing import session_token

SHOP = "managed-shop.myshopify.com"


class FakeExchange:
    def __init__(self, status: int = 200, delay: float = 0) -> None:
        self.status, self.delay = status, delay
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append({"url": str(request.url), **json.loads(request.content)})
        time.sleep(self.delay)  # a slow answer widens the window for a racing first load
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "invalid_subject_token"})
        return httpx.Response(200, json={"access_token": f"shpat_{len(self.requests)}",
                                         "scope": SHOPIFY_SCOPES, "expires_in": 3600,
                                         "refresh_token": "shprt_1", "refresh_token_expires_in": 7776000})


def install(app: Flask, session: Session, fake: FakeExchange, token: str) -> Shop:
    http = httpx.Client(transport=httpx.MockTransport(fake))
    result = install_from_session_token(session, app.config["LOYALTY"], http, token)
    session.commit()
    assert result.exchanged == (fake.requests[-1:] != [] and fake.requests[-1]["subject_token"] == token)
    return result.shop


def test_first_load_exchanges_once_then_uses_the_stored_token(app: Flask, session: Session) -> None:
    fake = FakeExchange()
    token = session_token(SHOP)
    shop = install(app, session, fake, token)
    assert (shop.domain, shop.installed_at is not None, shop.uninstalled_at) == (SHOP, True, None)
    [request] = fake.requests
    assert request["url"] == f"https://{SHOP}/admin/oauth/access_token"
    assert (request["subject_token"], request["expiring"]) == (token, "1")
    assert request["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    assert shop.access_token_expires_at is not None and shop.refresh_token_ciphertext
    install(app, session, fake, session_token(SHOP))
    assert len(fake.requests) == 1
    shop.access_token_expires_at = shop.refresh_token_expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    install(app, session, fake, session_token(SHOP))
    assert len(fake.requests) == 2


@pytest.mark.parametrize("token", [
    session_token(SHOP, exp=int(time.time()) - 30),
    session_token(SHOP, secret="forged-secret-" + "f" * 32),
    session_token(SHOP, api_key="another-app"),
    session_token(SHOP, dest="https://evil.example"),
    session_token(SHOP, iss="https://other-shop.myshopify.com/admin"),
    "not-a-token",
])
def test_bad_session_tokens_are_401_and_nothing_is_written(app: Flask, session: Session, token: str) -> None:
    fake = FakeExchange()
    with pytest.raises(Unauthorized):
        install(app, session, fake, token)
    session.rollback()
    assert fake.requests == [] and session.scalars(select(Shop)).all() == []


@pytest.mark.parametrize("status,error", [(400, Unauthorized), (503, ShopifyUnavailable)])
def test_a_refused_or_failed_exchange_writes_nothing(app: Flask, session: Session, status: int,
                                                     error: type[Exception]) -> None:
    with pytest.raises(error):
        install(app, session, FakeExchange(status), session_token(SHOP))
    session.rollback()
    assert session.scalars(select(Shop)).all() == []


def test_concurrent_first_loads_exchange_once(app: Flask, session: Session) -> None:
    factories.shop(session, SHOP).uninstalled_at = utcnow()  # a reinstall: the shop's row exists
    session.commit()
    fake = FakeExchange(delay=0.1)
    start = threading.Barrier(4)

    def first_load(_: int) -> str:
        start.wait()
        with sessionmaker_for(app)() as session:
            return install(app, session, fake, session_token(SHOP)).domain

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(first_load, range(4))) == [SHOP] * 4
    assert len(fake.requests) == 1


def test_a_token_of_one_shop_never_touches_another(app: Flask, session: Session) -> None:
    other = factories.shop(session, "other-shop.myshopify.com")
    session.commit()
    fake = FakeExchange()
    shop = install(app, session, fake, session_token(SHOP, sid="other-shop.myshopify.com"))
    assert shop.domain == SHOP and fake.requests[0]["url"].startswith(f"https://{SHOP}/")
    session.refresh(other)
    assert other.access_token_ciphertext is None and other.installed_at is None


def test_default_program_is_set_up_once_and_never_over_a_merchants_own(app: Flask, session: Session) -> None:
    shop = install(app, session, FakeExchange(), session_token(SHOP))
    assert set_up_default_program(session, shop.id) is True
    session.commit()
    rules = session.scalars(select(EarningRule.category).where(EarningRule.shop_id == shop.id)).all()
    tiers = session.scalars(select(VipTier.points_required).where(VipTier.shop_id == shop.id)).all()
    assert sorted(rules) == ["purchase", "signup"] and sorted(tiers) == [0, 500, 1000]
    session.execute(EarningRule.__table__.delete().where(EarningRule.shop_id == shop.id))
    assert set_up_default_program(session, shop.id) is False  # once only, even after the merchant deletes them
    own = factories.shop(session, "own-program.myshopify.com")
    factories.rule(session, own, "follow_on_tiktok")
    assert set_up_default_program(session, own.id) is False
    assert session.scalars(select(VipTier).where(VipTier.shop_id == own.id)).all() == []


def test_shops_install_cli_registers_a_shop_by_hand(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["shops", "install", "Custom-Shop.myshopify.com", "--access-token", "shpat_custom",
                                 "--shop-id", "68000000001"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "installed custom-shop.myshopify.com (Shopify shop 68000000001)"
    shop = session.scalars(select(Shop)).one()
    assert shop.installed_at is not None and shop.access_token_expires_at is None
    assert shop.shopify_shop_id == "68000000001"
    assert "shpat_custom" not in (shop.access_token_ciphertext or "")
    assert len(session.scalars(select(EarningRule).where(EarningRule.shop_id == shop.id)).all()) == 2
    again = runner.invoke(args=["shops", "install", "custom-shop.myshopify.com", "--access-token", "shpat_new",
                                "--shop-id", "68000000001"])
    assert again.exit_code == 0
    assert len(session.scalars(select(EarningRule)).all()) == 2
    for bad in ("evil.com/x.myshopify.com", "x.myshopify.com.evil.test"):
        result = runner.invoke(args=["shops", "install", bad, "--access-token", "t", "--shop-id", "1"])
        assert result.exit_code != 0 and "myshopify.com" in result.output
    session.expire_all()
    assert len(session.scalars(select(Shop)).all()) == 1
