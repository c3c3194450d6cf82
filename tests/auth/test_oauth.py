"""The authorization code grant: Shopify's HMAC vector, state cookie, callback checks, replays."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import crypto
from shopify_app.config import SHOPIFY_SCOPES
from shopify_app.jobs.webhooks import webhooks_queue
from shopify_app.models import Shop
from shopify_app.shopify.signatures import query_hmac, valid_query_hmac
from shopify_app.shops.installs import missing_scopes
from tests.shopify_signing import query_hmac as reference_hmac
from tests.shopify_signing import signed_query

VECTOR = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com",
          "state": "0.6784241404160823", "timestamp": "1337178173"}
VECTOR_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
SHOP = "new-shop.myshopify.com"


def test_shopify_published_hmac_vector() -> None:
    assert query_hmac(VECTOR, "hush") == reference_hmac(VECTOR, "hush") == VECTOR_HMAC
    assert valid_query_hmac({**VECTOR, "hmac": VECTOR_HMAC}, ["other", "hush"])
    assert not valid_query_hmac({**VECTOR, "hmac": VECTOR_HMAC.upper()[:-1]}, ["hush"])
    assert not valid_query_hmac({**VECTOR, "timestamp": "1337178174", "hmac": VECTOR_HMAC}, ["hush"])
    assert not valid_query_hmac(VECTOR, ["hush"])


# Keys and values with the characters that delimit a query, non-ASCII text, and Shopify's own names.
_TEXT = st.text(st.sampled_from("ab=&%[]é✓ ") | st.characters(codec="utf-8"),
                max_size=8)
_KEYS = st.sampled_from(["shop", "code", "state", "timestamp", "host", "a&b", "a=b", "50%", "ключ"]) | _TEXT


@settings(max_examples=300, deadline=None)
@given(plain=st.dictionaries(_KEYS.filter(lambda k: k != "hmac" and not k.endswith("[]")), _TEXT, max_size=6),
       ids=st.lists(_TEXT, max_size=4), secret=st.text(min_size=1, max_size=12))
@example(plain={"shop": "a&b=c", "state": "100%"}, ids=["1", "2"], secret="hush")
def test_query_hmac_agrees_with_shopify_api(plain: dict[str, str], ids: list[str], secret: str) -> None:
    """Shopify's library is the oracle: the same digest for the same query, repeated ids[] included."""
    oracle: dict[str, Any] = {**plain, **({"ids[]": ids} if ids else {})}
    pairs = list(plain.items()) + [("ids[]", value) for value in ids]
    expected = reference_hmac(oracle, secret)
    assert query_hmac(pairs, secret) == expected
    assert valid_query_hmac([*pairs, ("hmac", expected)], ["other", secret])
    if ids:  # an id dropped, added or reordered is another query
        assert not valid_query_hmac([*pairs[:-1], ("hmac", expected)], [secret])
        assert not valid_query_hmac([*pairs, ("ids[]", ids[0] + "x"), ("hmac", expected)], [secret])
    if plain:  # a value shifted across a delimiter is another query
        key = next(iter(plain))
        moved = [(k, v + "&x=1" if k == key else v) for k, v in pairs]
        assert not valid_query_hmac([*moved, ("hmac", expected)], [secret])


def test_a_repeated_plain_key_or_hmac_is_refused() -> None:
    query = {"shop": "a.myshopify.com", "timestamp": "1"}
    digest = reference_hmac(query, "hush")
    assert valid_query_hmac([*query.items(), ("hmac", digest)], ["hush"])
    assert not valid_query_hmac([*query.items(), ("shop", "b.myshopify.com"), ("hmac", digest)], ["hush"])
    assert not valid_query_hmac([*query.items(), ("hmac", digest), ("hmac", digest)], ["hush"])


class FakeShopify:
    """Shopify's token endpoint for the authorization code grant: each code works once."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.requests: list[dict[str, Any]] = []
        self.used: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append({"url": str(request.url), **body})
        if body["code"] in self.used:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.used.add(body["code"])
        return httpx.Response(200, json={"access_token": "shpat_live", "scope": self.scope, "expires_in": 3600,
                                         "refresh_token": "shprt_live", "refresh_token_expires_in": 7776000})


@pytest.fixture
def shopify(app: Flask, monkeypatch: pytest.MonkeyPatch) -> FakeShopify:
    fake = FakeShopify(app.config["LOYALTY"].shopify_scopes)
    monkeypatch.setitem(app.extensions, "shopify_http", httpx.Client(transport=httpx.MockTransport(fake)))
    return fake


def begin(client: FlaskClient, shop: str = SHOP) -> str:
    response = client.get("/auth/install",
                          query_string=signed_query({"shop": shop, "timestamp": str(int(time.time()))}))
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert (location.scheme, location.netloc, location.path) == ("https", shop, "/admin/oauth/authorize")
    assert query["redirect_uri"].endswith("/auth/callback") and "grant_options[]" not in query
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/auth" in cookie
    return query["state"]


def callback_params(state: str, shop: str = SHOP, **extra: str) -> dict[str, str]:
    host = base64.b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode()).decode().rstrip("=")
    return signed_query({"code": "c0de", "shop": shop, "state": state, "timestamp": str(int(time.time())),
                         "host": host, **extra})


def shops(session: Session) -> list[Shop]:
    session.expire_all()
    return list(session.scalars(select(Shop)))


def test_install_and_callback_store_an_expiring_token_and_queue_the_program(
        client: FlaskClient, app: Flask, session: Session, shopify: FakeShopify, redis: Any) -> None:
    state = begin(client)
    response = client.get("/auth/callback", query_string=callback_params(state))
    assert response.status_code == 302
    assert response.headers["Location"] == f"https://admin.shopify.com/store/new-shop/apps/{app.config['LOYALTY'].shopify_api_key}/"
    assert "shopify_oauth_state=;" in response.headers["Set-Cookie"]
    [request] = shopify.requests
    assert request["url"] == f"https://{SHOP}/admin/oauth/access_token"
    assert (request["code"], request["expiring"]) == ("c0de", "1")
    [shop] = shops(session)
    assert shop.domain == SHOP and shop.installed_at is not None
    assert "shpat_live" not in (shop.access_token_ciphertext or "")
    assert crypto.decrypt(shop.access_token_ciphertext or "", app.config["LOYALTY"]) == "shpat_live"
    assert webhooks_queue(redis).job_ids == [f"program-setup-{shop.id}"]


@pytest.mark.parametrize(
    "shop", ["evil.com/x.myshopify.com", "x.myshopify.com.evil.test", "https://x.myshopify.com", ""]
)
def test_install_rejects_shop_domain_tricks(client: FlaskClient, shop: str) -> None:
    response = client.get("/auth/install", query_string={"shop": shop})
    assert response.status_code == 400 and "Location" not in response.headers


def test_install_checks_the_hmac_over_escaped_values_and_repeated_ids(client: FlaskClient) -> None:
    query = {"shop": SHOP, "timestamp": str(int(time.time())), "note": "a&b=%20✓", "ids[]": ["1", "2"]}
    pairs = [("shop", SHOP), ("timestamp", query["timestamp"]), ("note", "a&b=%20✓"), ("ids[]", "1"), ("ids[]", "2")]
    digest = reference_hmac(query)
    assert client.get("/auth/install", query_string=[*pairs, ("hmac", digest)]).status_code == 302
    assert client.get("/auth/install", query_string=[*pairs[:-1], ("hmac", digest)]).status_code == 401


def test_install_with_a_bad_hmac_is_401(client: FlaskClient) -> None:
    query = {**signed_query({"shop": SHOP, "timestamp": "1"}), "timestamp": "2"}
    assert client.get("/auth/install", query_string=query).status_code == 401


@pytest.mark.parametrize("case,status", [
    ("bad-hmac", 401), ("missing-hmac", 400), ("hmac-with-other-secret", 401), ("stale-timestamp", 401),
    ("shop-trick", 400), ("other-shop", 403), ("wrong-state", 403), ("no-cookie", 403), ("missing-code", 400),
    ("scopes-cut", 403),
])
def test_bad_callbacks_are_rejected_and_write_nothing(client: FlaskClient, session: Session, shopify: FakeShopify,
                                                      case: str, status: int) -> None:
    state = begin(client)
    params = callback_params(state)
    if case == "bad-hmac":
        params["code"] = "other"
    elif case == "missing-hmac":
        del params["hmac"]
    elif case == "hmac-with-other-secret":
        params = signed_query({k: v for k, v in params.items() if k != "hmac"}, "another-app-secret")
    elif case == "stale-timestamp":
        params = callback_params(state, timestamp=str(int(time.time()) - 600))
    elif case == "shop-trick":
        params = callback_params(state, shop="x.myshopify.com.evil.test")
    elif case == "other-shop":
        params = callback_params(state, shop="other-shop.myshopify.com")
    elif case == "wrong-state":
        params = callback_params("f" * 64)
    elif case == "no-cookie":
        client.delete_cookie("shopify_oauth_state", path="/auth")
    elif case == "missing-code":
        params = signed_query({k: v for k, v in params.items() if k not in ("code", "hmac")})
    elif case == "scopes-cut":
        shopify.scope = "read_customers"
    response = client.get("/auth/callback", query_string=params)
    assert response.status_code == status
    assert shops(session) == []
    if case != "scopes-cut":
        assert shopify.requests == []


def test_replayed_callback_is_rejected(client: FlaskClient, session: Session, shopify: FakeShopify) -> None:
    state = begin(client)
    params = callback_params(state)
    cookie = client.get_cookie("shopify_oauth_state", path="/auth")
    assert cookie is not None
    assert client.get("/auth/callback", query_string=params).status_code == 302
    [shop] = shops(session)
    installed_at = shop.installed_at
    assert client.get("/auth/callback", query_string=params).status_code == 403  # cookie gone
    client.set_cookie("shopify_oauth_state", cookie.value, path="/auth")  # an attacker kept a copy
    assert client.get("/auth/callback", query_string=params).status_code == 403
    assert len(shopify.requests) == 1
    [shop] = shops(session)
    assert shop.installed_at == installed_at


def test_callback_never_redirects_outside_shopify(client: FlaskClient, app: Flask, shopify: FakeShopify) -> None:
    state = begin(client)
    evil_host = base64.b64encode(b"evil.example/admin").decode().rstrip("=")
    response = client.get("/auth/callback", query_string=callback_params(state, host=evil_host))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{app.config['LOYALTY'].app_url}/?shop={SHOP}"


@pytest.mark.parametrize("granted,missing", [
    ("write_customers,read_orders,write_app_proxy,write_discounts", []),  # write_ includes read_customers
    ("read_customers,write_customers,read_orders,write_app_proxy,write_discounts", []),
    ("read_customers,read_orders,write_app_proxy,write_discounts", ["write_customers"]),
    ("write_customers,write_app_proxy,unauthenticated_read_orders,write_discounts", ["read_orders"]),
    ("read_customers,write_customers,read_orders,write_app_proxy", ["write_discounts"]),
    ("not a scope", ["read_orders", "write_app_proxy", "write_customers", "write_discounts"]),
])
def test_missing_scopes_follow_shopify_api_access(granted: str, missing: list[str]) -> None:
    assert missing_scopes(granted, SHOPIFY_SCOPES) == missing
