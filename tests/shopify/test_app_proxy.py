"""App-proxy signatures: Shopify's published vectors, tampering, staleness, rotation."""

from __future__ import annotations

import pytest

from shopify_app.shopify.app_proxy import (
    InvalidProxySignature,
    ProxyRequest,
    sign,
    signature_message,
    verify_proxy_request,
)

# Shopify's documented example (secret "hush"), with repeated "extra" values joined by a comma.
VECTOR_SECRET = "hush"
VECTOR_TIMESTAMP = 1317327555
VECTOR_PARAMS = [
    ("extra", "1"), ("extra", "2"), ("shop", "shop-name.myshopify.com"), ("logged_in_customer_id", "1"),
    ("path_prefix", "/apps/awesome_reviews"), ("timestamp", str(VECTOR_TIMESTAMP)),
    ("signature", "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"),
]
ANONYMOUS_SIGNATURE = "e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb"


def replaced(params: list[tuple[str, str]], key: str, value: str) -> list[tuple[str, str]]:
    return [(k, value if k == key else v) for k, v in params]


def verify(params: list[tuple[str, str]], secrets: list[str] | None = None, now: float | None = None) -> ProxyRequest:
    return verify_proxy_request(params, secrets=secrets or [VECTOR_SECRET],
                                now=VECTOR_TIMESTAMP + 1 if now is None else now)


def test_shopify_vector_message_and_signature() -> None:
    assert signature_message(VECTOR_PARAMS) == (
        "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviews"
        "shop=shop-name.myshopify.comtimestamp=1317327555"
    )
    assert sign(VECTOR_PARAMS, VECTOR_SECRET) == VECTOR_PARAMS[-1][1]
    verified = verify(VECTOR_PARAMS)
    assert (verified.shop, verified.logged_in_customer_id, verified.timestamp) == (
        "shop-name.myshopify.com", "1", VECTOR_TIMESTAMP
    )


def test_shopify_vector_for_an_anonymous_shopper() -> None:
    params = replaced(replaced(VECTOR_PARAMS, "logged_in_customer_id", ""), "signature", ANONYMOUS_SIGNATURE)
    assert sign(params, VECTOR_SECRET) == ANONYMOUS_SIGNATURE
    assert verify(params).logged_in_customer_id is None


@pytest.mark.parametrize("key,value", [
    ("logged_in_customer_id", "2"), ("shop", "other-shop.myshopify.com"), ("extra", "3"),
    ("path_prefix", "/apps/other"), ("timestamp", str(VECTOR_TIMESTAMP + 1)),
    ("signature", "0" * 64), ("signature", ""), ("signature", "é" * 64),
])
def test_tampered_requests_are_rejected(key: str, value: str) -> None:
    with pytest.raises(InvalidProxySignature):
        verify(replaced(VECTOR_PARAMS, key, value))


def test_an_added_parameter_breaks_the_signature() -> None:
    with pytest.raises(InvalidProxySignature, match="does not match"):
        verify(VECTOR_PARAMS + [("logged_in_customer_id_x", "2")])


def test_the_order_of_repeated_values_is_signed() -> None:
    swapped = [("extra", "2"), ("extra", "1")] + VECTOR_PARAMS[2:]
    with pytest.raises(InvalidProxySignature):
        verify(swapped)


@pytest.mark.parametrize("key", ["shop", "logged_in_customer_id", "timestamp", "signature"])
def test_a_second_copy_of_a_shopify_parameter_is_refused(key: str) -> None:
    params = VECTOR_PARAMS + [(key, dict(VECTOR_PARAMS)[key])]
    params = replaced(params, "signature", sign(params, VECTOR_SECRET))
    with pytest.raises(InvalidProxySignature, match="more than once"):
        verify(params)


@pytest.mark.parametrize("offset", [-91, 91, 3600])
def test_stale_or_future_timestamps_are_rejected(offset: int) -> None:
    with pytest.raises(InvalidProxySignature, match="90 seconds"):
        verify(VECTOR_PARAMS, now=VECTOR_TIMESTAMP + offset)


@pytest.mark.parametrize("offset", [-90, 0, 90])
def test_timestamps_within_90_seconds_are_accepted(offset: int) -> None:
    assert verify(VECTOR_PARAMS, now=VECTOR_TIMESTAMP + offset).shop == "shop-name.myshopify.com"


def test_previous_secret_is_accepted_during_a_rotation() -> None:
    assert verify(VECTOR_PARAMS, secrets=["new-secret", VECTOR_SECRET]).logged_in_customer_id == "1"
    with pytest.raises(InvalidProxySignature):
        verify(VECTOR_PARAMS, secrets=["new-secret", ""])


@pytest.mark.parametrize("key,value,message", [
    ("shop", "evil.com/x.myshopify.com", "shop"),
    ("logged_in_customer_id", "gold@example.com", "customer id"),
    ("timestamp", "soon", "timestamp"),
    ("timestamp", "\u00b2", "timestamp"),
    ("logged_in_customer_id", "\u00b2", "customer id"),
])
def test_signed_but_malformed_values_are_rejected(key: str, value: str, message: str) -> None:
    params = replaced(VECTOR_PARAMS, key, value)
    params = replaced(params, "signature", sign(params, VECTOR_SECRET))
    with pytest.raises(InvalidProxySignature, match=message):
        verify(params)
