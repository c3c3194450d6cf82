"""Shop-domain validation, session tokens and secrets at rest."""

from __future__ import annotations

import time

import jwt
import pytest

from shopify_app import crypto
from shopify_app.config import Config
from shopify_app.shopify.domains import valid_shop_domain
from shopify_app.shopify.session_tokens import InvalidSessionToken, decode_session_token
from tests.shopify_signing import session_token

KEY, SECRET, OLD = "api-key", "secret-now-" + "n" * 32, "secret-before-" + "b" * 32


@pytest.mark.parametrize("value", ["shop.myshopify.com", "SHOP-1.myshopify.com", " a.myshopify.com "])
def test_valid_shop_domains(value: str) -> None:
    assert valid_shop_domain(value) == value.strip().lower()


@pytest.mark.parametrize("value", [
    "evil.com/x.myshopify.com", "x.myshopify.com.evil.test", "https://x.myshopify.com", "x.myshopify.com/",
    "-x.myshopify.com", "x.shopify.com", "myshopify.com", "", None, "a.b.myshopify.com",
])
def test_hostile_shop_domains(value: str | None) -> None:
    assert valid_shop_domain(value) is None


def mint(secret: str = SECRET, **claims: object) -> str:
    return session_token("shop.myshopify.com", secret=secret, api_key=KEY, **claims)


def test_session_token_gives_the_shop_from_dest() -> None:
    token = decode_session_token(mint(), api_key=KEY, secrets=[SECRET])
    assert (token.shop, token.user_id) == ("shop.myshopify.com", "42")
    assert decode_session_token(mint(OLD), api_key=KEY, secrets=[SECRET, OLD]).shop == "shop.myshopify.com"


@pytest.mark.parametrize("token", [
    "", "not-a-jwt", mint("other-secret-" + "o" * 32), mint(aud="other-app"), mint(exp=int(time.time()) - 11),
    mint(nbf=int(time.time()) + 3600, exp=int(time.time()) + 7200), mint(dest="https://evil.com"), mint(iss="https://other.myshopify.com/admin"),
    mint(sid=None), jwt.encode({"aud": KEY}, SECRET * 2, algorithm="HS512"),
])
def test_bad_session_tokens_are_rejected(token: str) -> None:
    with pytest.raises(InvalidSessionToken):
        decode_session_token(token, api_key=KEY, secrets=[SECRET])


def test_small_clock_skew_is_tolerated() -> None:
    assert decode_session_token(mint(nbf=int(time.time()) + 5), api_key=KEY, secrets=[SECRET]).shop


def test_secrets_round_trip_and_survive_rotation() -> None:
    before = Config(data_encryption_key=OLD)
    after = Config(data_encryption_key=SECRET, data_encryption_key_previous=OLD)
    sealed = crypto.encrypt("shpat_abc", before)
    assert sealed != "shpat_abc"
    assert crypto.decrypt(sealed, before) == "shpat_abc"
    assert crypto.decrypt(sealed, after) == "shpat_abc"
    with pytest.raises(ValueError):
        crypto.decrypt(sealed, Config(data_encryption_key=SECRET))
    resealed = crypto.encrypt("shpat_abc", after)  # a write uses the current key only
    assert crypto.decrypt(resealed, Config(data_encryption_key=SECRET)) == "shpat_abc"
    with pytest.raises(ValueError):
        crypto.decrypt(resealed, before)


def test_the_data_key_is_not_the_shopify_secret() -> None:
    """Rotating the Shopify secret leaves stored secrets readable; they depend on DATA_ENCRYPTION_KEY alone."""
    sealed = crypto.encrypt("shpat_abc", Config(shopify_api_secret=OLD, data_encryption_key=SECRET))
    rotated = Config(shopify_api_secret="rotated-" + "r" * 32, data_encryption_key=SECRET)
    assert crypto.decrypt(sealed, rotated) == "shpat_abc"
    with pytest.raises(ValueError):
        crypto.decrypt(sealed, Config(shopify_api_secret=OLD, data_encryption_key=OLD))
