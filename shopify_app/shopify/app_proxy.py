"""App-proxy signatures: Shopify's sorted, separator-free HMAC over the forwarded query."""

from __future__ import annotations

import functools
import hashlib
import hmac
import operator
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from shopify_app.shopify.domains import valid_shop_domain

MAX_AGE_SECONDS = 90
# Shopify adds these four to every query it forwards (logged_in_customer_id empty for an
# anonymous shopper), and signs them with the rest of the query; signature is added last.
SHOPIFY_PARAMETERS = ("logged_in_customer_id", "path_prefix", "shop", "timestamp")
SIGNATURE = "signature"
# Shopify's names and the widget's (nonce, page, per_page) are lower-case snake_case. Anything
# else is refused: '=' would move where a name ends in the signed message, ',' is how repeats
# are signed, and '&', '%', '+' or non-ASCII only come from a query someone crafted.
PARAMETER_NAME = re.compile(r"[a-z0-9_]+")
# Every tail of Shopify's names ("ogged_in_customer_id", ..., "d"), each one a name that overlaps one of them.
_SHOPIFY_TAILS = frozenset(name[start:] for name in SHOPIFY_PARAMETERS for start in range(len(name)))
MAX_DIGITS = 20


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
        if key != SIGNATURE:
            grouped.setdefault(key, []).append(value)
    return "".join(sorted(f"{key}={','.join(values)}" for key, values in grouped.items()))


def sign(params: Iterable[tuple[str, str]], secret: str) -> str:
    return _signature(signature_message(params).encode(), secret)


def _signature(message: bytes, secret: str) -> str:
    mac = _keyed(secret).copy()
    mac.update(message)
    return mac.hexdigest()


@functools.lru_cache(maxsize=8)
def _keyed(secret: str) -> hmac.HMAC:
    """The secret's HMAC with its key taken in: a copy of it signs without OpenSSL setting up the key again."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def verify_proxy_request(
    params: Iterable[tuple[str, str]], *, secrets: Iterable[str], path_prefix: str, now: float | None = None
) -> ProxyRequest:
    """Check the query's form, the signature (current or previous secret), its freshness, the
    configured ``path_prefix`` and the shop it names.

    ``params`` are the URL-decoded query pairs in the order received."""
    pairs = list(params)
    values = single_values(pairs)
    message = check_one_reading(values).encode()
    provided = values[SIGNATURE].encode()
    # Every secret is tried, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(_signature(message, secret).encode(), provided) for secret in secrets if secret]
    if not any(matches):
        raise InvalidProxySignature("the signature does not match")
    timestamp = values["timestamp"]
    if not _ascii_digits(timestamp):
        raise InvalidProxySignature("the timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise InvalidProxySignature(f"the signature is more than {MAX_AGE_SECONDS} seconds old")
    if values["path_prefix"] != path_prefix:
        raise InvalidProxySignature(f"the request did not come through the app proxy at {path_prefix}")
    shop = valid_shop_domain(values["shop"])
    if shop is None:
        raise InvalidProxySignature("the shop parameter is not a *.myshopify.com domain")
    customer_id = values["logged_in_customer_id"]
    if customer_id and not _ascii_digits(customer_id):
        raise InvalidProxySignature("logged_in_customer_id is not a Shopify customer id")
    return ProxyRequest(
        shop=shop, logged_in_customer_id=customer_id or None, signature=provided.decode(), timestamp=int(timestamp)
    )


def single_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each parameter's one value; Shopify's own and the signature must be present.

    A repeated name is signed as one comma-joined value, so ``a=1&a=2`` and ``a=1,2`` would
    sign alike: no name may appear twice (Shopify's own never do)."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise InvalidProxySignature(f"the '{key}' parameter appears more than once")
        values[key] = value
    if not values.get(SIGNATURE):
        raise InvalidProxySignature("the request is not signed")
    for key in SHOPIFY_PARAMETERS:
        if key not in values:
            raise InvalidProxySignature(f"the '{key}' parameter is missing")
    return values


def check_one_reading(values: dict[str, str]) -> str:
    """Refuse any query whose signed message could also be read as other parameters; the message
    (``signature_message`` of ``values``, whose names appear once each).

    The message is the sorted ``name=value`` pairs with no separator, so the signature fixes the
    text and where each '=' stands, but not where a name begins. A query is accepted only in a
    form that leaves one reading of that text, the one Shopify signed:
    - no '=' in a name or a value, so each '=' of the message ends a name; no ',' in a value,
      so no value stands for repeats;
    - no name of the shopper's that is a tail of one of Shopify's (``ogged_in_customer_id``) or
      ends with one (``xlogged_in_customer_id``), so each of Shopify's names begins where
      Shopify's pair begins. Its value cannot then run on into the next pair, which sorts after
      it: digits stop at that pair's first letter, a domain at ``.myshopify.com`` and the path
      prefix is compared whole;
    - no two of the shopper's parameters next to each other in the signed order: ``a=1b=2`` is
      also the message of ``a`` = ``1b=2``, so one of Shopify's pairs must stand between any two
      of the shopper's.
    """
    for key, value in values.items():
        if not PARAMETER_NAME.fullmatch(key):
            raise InvalidProxySignature(f"the parameter name {key!r} is not one Shopify sends")
        # '=' could pose as the end of a name, ',' as the boundary between repeats of one name.
        if "=" in value or "," in value:
            raise InvalidProxySignature(f"the '{key}' parameter holds '=' or ','")
        if key not in SHOPIFY_PARAMETERS and (key in _SHOPIFY_TAILS or key.endswith(SHOPIFY_PARAMETERS)):
            raise InvalidProxySignature(f"the parameter name '{key}' overlaps one of Shopify's")
    signed_order = sorted([f"{key}={value}" for key, value in values.items() if key != SIGNATURE])
    shoppers = [pair.partition("=")[0] not in SHOPIFY_PARAMETERS for pair in signed_order]
    if any(map(operator.and_, shoppers, shoppers[1:])):
        raise InvalidProxySignature("two of the shopper's parameters are next to each other in the signed order")
    return "".join(signed_order)


def _ascii_digits(value: str) -> bool:
    # str.isdigit() alone accepts characters such as "²" that int() refuses; the length bound
    # keeps int() away from numbers it refuses to parse.
    return value.isascii() and value.isdigit() and len(value) <= MAX_DIGITS
