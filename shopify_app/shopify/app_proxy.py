"""App-proxy signatures: Shopify's sorted, separator-free HMAC over the forwarded query."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass

from shopify_app.shopify.domains import valid_shop_domain

MAX_AGE_SECONDS = 90
# Shopify adds these itself; a second copy can only come from the shopper's own query
# string, so it is refused rather than comma-joined into something Shopify never meant.
SINGLE_VALUED = frozenset({"shop", "signature", "timestamp", "logged_in_customer_id", "path_prefix"})


class InvalidProxySignature(Exception):
    """The request was not signed by Shopify with our secret, or not recently."""


@dataclass(frozen=True)
class ProxyRequest:
    shop: str
    # None for an anonymous shopper (Shopify sends an empty value).
    logged_in_customer_id: str | None
    signature: str
    timestamp: int


def signature_message(params: Iterable[tuple[str, str]]) -> str:
    """``key=value`` per key (repeated values joined by commas), sorted, concatenated."""
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        if key != "signature":
            grouped.setdefault(key, []).append(value)
    return "".join(sorted(f"{key}={','.join(values)}" for key, values in grouped.items()))


def sign(params: Iterable[tuple[str, str]], secret: str) -> str:
    return hmac.new(secret.encode(), signature_message(params).encode(), hashlib.sha256).hexdigest()


def verify_proxy_request(
    params: Iterable[tuple[str, str]], *, secrets: Iterable[str], now: float | None = None
) -> ProxyRequest:
    """Check the signature (current or previous secret), its freshness and the shop it names.

    ``params`` are the URL-decoded query pairs in the order received."""
    pairs = list(params)
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    for key in SINGLE_VALUED & values.keys():
        if len(values[key]) > 1:
            raise InvalidProxySignature(f"the '{key}' parameter appears more than once")
    provided = values.get("signature", [""])[0].encode()
    if not provided:
        raise InvalidProxySignature("the request is not signed")
    # Every secret is tried, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(sign(pairs, secret).encode(), provided) for secret in secrets if secret]
    if not any(matches):
        raise InvalidProxySignature("the signature does not match")
    timestamp = values.get("timestamp", [""])[0]
    if not _ascii_digits(timestamp):
        raise InvalidProxySignature("the timestamp is missing or not a number")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise InvalidProxySignature(f"the signature is more than {MAX_AGE_SECONDS} seconds old")
    shop = valid_shop_domain(values.get("shop", [""])[0])
    if shop is None:
        raise InvalidProxySignature("the shop parameter is not a *.myshopify.com domain")
    customer_id = values.get("logged_in_customer_id", [""])[0]
    if customer_id and not _ascii_digits(customer_id):
        raise InvalidProxySignature("logged_in_customer_id is not a Shopify customer id")
    return ProxyRequest(
        shop=shop, logged_in_customer_id=customer_id or None, signature=provided.decode(), timestamp=int(timestamp)
    )


def _ascii_digits(value: str) -> bool:
    # str.isdigit() alone accepts characters such as "²" that int() refuses.
    return value.isascii() and value.isdigit()
