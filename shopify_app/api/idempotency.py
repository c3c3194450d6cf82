"""Idempotency-Key on every POST and PUT under /v1: the first response replayed, nothing run twice."""

from __future__ import annotations

import hashlib

from flask import Response, g, request
from flask.typing import ResponseReturnValue

from shopify_app.db import get_session
from shopify_app.errors import BadRequest
from shopify_app.shops import idempotency
from shopify_app.shops.api_keys import LiveKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT"})
MAX_LENGTH = 255


def _valid(key: str) -> bool:
    return 1 <= len(key) <= MAX_LENGTH and all(" " <= c <= "~" for c in key)


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def claim_key() -> ResponseReturnValue | None:
    """Blueprint before_request hook, after the key is known: claims the key (committed at once, so a
    concurrent retry sees it), or answers with the stored response."""
    if request.method not in WRITE_METHODS:
        return None
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _valid(key):
        raise BadRequest(f"'{HEADER}' must be 1 to {MAX_LENGTH} printable ASCII characters")
    api_key: LiveKey = g.api_key
    session = get_session()
    outcome = idempotency.claim(session, api_key.shop_id, api_key.id, key, _fingerprint())
    session.commit()
    if isinstance(outcome, idempotency.Stored):
        response = Response(outcome.body, status=outcome.status, content_type=outcome.content_type)
        response.headers[REPLAYED] = "true"
        return response
    g.idempotency_claim = outcome
    return None


def store_response(response: Response) -> Response:
    """Blueprint after_request hook: keeps the claimed request's response, or forgets the claim after a 5xx.

    Whatever the view left uncommitted (it failed) is rolled back first: nothing half-written is kept."""
    claim_id = g.pop("idempotency_claim", None)
    if claim_id is None:
        return response
    session = get_session()
    session.rollback()
    if response.status_code >= 500:
        idempotency.release(session, claim_id)
    else:
        idempotency.store(session, claim_id, response.status_code, response.get_data(as_text=True),
                          response.content_type or "")
    session.commit()
    return response
