"""Shopify's two HMAC procedures: hex over a sorted query string, base64 over a webhook body."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping


def query_hmac(params: Mapping[str, str], secret: str) -> str:
    """Lower-case hex HMAC-SHA256 of every parameter but ``hmac``, sorted, as ``k=v`` joined by ``&``.

    Every parameter is signed (``host``, ``id_token``, ``session``…), so none is hard-coded."""
    message = "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def valid_query_hmac(params: Mapping[str, str], secrets: Iterable[str]) -> bool:
    given = params.get("hmac", "")
    if not given:
        return False
    return any(_same(query_hmac(params, secret), given) for secret in secrets if secret)


def body_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def valid_body_hmac(body: bytes, given: str, secrets: Iterable[str]) -> bool:
    """Checked against the current and the previous secret: after a rotation Shopify may sign
    with the old one for up to an hour."""
    return bool(given) and any(_same(body_hmac(body, secret), given.strip()) for secret in secrets if secret)


def _same(expected: str, given: str) -> bool:
    # Bytes, so a non-ASCII forgery is a mismatch rather than a TypeError; constant time either way.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
