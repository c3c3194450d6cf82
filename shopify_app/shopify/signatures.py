"""Shopify's two HMAC procedures: hex over a canonical query string, base64 over a webhook body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping

QueryPairs = Mapping[str, str] | Iterable[tuple[str, str]]


def canonical_query(params: QueryPairs) -> str | None:
    """The message Shopify signs, built as its own libraries build it (ShopifyAPI's ``calculate_hmac``).

    Every parameter but ``hmac`` is signed (``host``, ``id_token``, ``session``…). ``%`` and ``&`` are
    escaped in keys and values and ``=`` in keys, so no value can pose as another parameter; the
    values of an array key (``ids[]=1&ids[]=2``) are signed together as ``ids=["1", "2"]``. A plain
    key given twice is not something Shopify signs, so there is no message (None): refused."""
    values: dict[str, list[str]] = {}
    for key, value in params.items() if isinstance(params, Mapping) else params:
        values.setdefault(key, []).append(value)
    pairs = []
    for key, given in values.items():
        if key == "hmac":
            continue
        if key.endswith("[]"):
            key, value = key.rstrip("[]"), json.dumps(given)  # rstrip, as Shopify's libraries strip it
        elif len(given) > 1:
            return None
        else:
            value = given[0]
        key = key.replace("%", "%25").replace("=", "%3D")
        pairs.append(f"{key}={value.replace('%', '%25')}".replace("&", "%26"))
    return "&".join(sorted(pairs))


def query_hmac(params: QueryPairs, secret: str) -> str | None:
    """Lower-case hex HMAC-SHA256 of the canonical query; None when the query has no canonical form."""
    message = canonical_query(params)
    if message is None:
        return None
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def valid_query_hmac(params: QueryPairs, secrets: Iterable[str]) -> bool:
    """``params`` as the request gave them, repeated keys included (``request.args.items(multi=True)``)."""
    pairs = list(params.items() if isinstance(params, Mapping) else params)
    given = [value for key, value in pairs if key == "hmac"]
    if len(given) != 1 or not given[0]:
        return False
    digests = [query_hmac(pairs, secret) for secret in secrets if secret]
    return any(digest is not None and _same(digest, given[0]) for digest in digests)


def body_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def valid_body_hmac(body: bytes, given: str, secrets: Iterable[str]) -> bool:
    """Checked against the current and the previous secret: after a rotation Shopify may sign
    with the old one for up to an hour."""
    return bool(given) and any(_same(body_hmac(body, secret), given.strip()) for secret in secrets if secret)


def _same(expected: str, given: str) -> bool:
    # Bytes, so a non-ASCII forgery is a mismatch rather than a TypeError; constant time either way.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
