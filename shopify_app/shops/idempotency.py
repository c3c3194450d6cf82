"""Idempotency keys of API writes: claimed before the write runs, its response stored after, swept after 24 hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import Conflict, Unprocessable
from shopify_app.models import IdempotencyKey
from shopify_app.upserts import insert_new

LIFETIME = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Stored:
    """The first response to a key, to replay."""

    status: int
    body: str
    content_type: str


def claim(session: Session, shop_id: str, api_key_id: str, key: str, fingerprint: str, *,
          now: dt.datetime | None = None) -> str | Stored:
    """The new claim's id, so the request runs; or the stored response of the key's first request.

    Conflict while that request still runs; Unprocessable when the key was used for another request.
    A key older than ``LIFETIME`` counts as unused, whether or not the sweep has deleted it yet."""
    now = now or utcnow()
    this_key = (IdempotencyKey.shop_id == shop_id, IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key)
    session.execute(delete(IdempotencyKey).where(*this_key, IdempotencyKey.created_at <= now - LIFETIME))
    claimed = insert_new(session, IdempotencyKey, dict(shop_id=shop_id, api_key_id=api_key_id, key=key,
                                                       fingerprint=fingerprint, created_at=now),
                         ["api_key_id", "key", "shop_id"])
    if claimed is not None:
        return claimed.id
    first = session.scalars(select(IdempotencyKey).where(*this_key)).one()
    if first.fingerprint != fingerprint:
        raise Unprocessable("This Idempotency-Key was used for a different request; use a new key for this one")
    if first.status is None or first.body is None:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry later")
    return Stored(status=first.status, body=first.body, content_type=first.content_type or "application/json")


def store(session: Session, claim_id: str, status: int, body: str, content_type: str) -> None:
    session.execute(update(IdempotencyKey).where(IdempotencyKey.id == claim_id)
                    .values(status=status, body=body, content_type=content_type))


def release(session: Session, claim_id: str) -> None:
    """Forget a claim whose request failed on our side (a 5xx), so a retry runs it again."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))


def sweep(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete the keys past their lifetime (one hour's worth, by the created_at index); how many went."""
    cutoff = (now or utcnow()) - LIFETIME
    # A DELETE's result is a CursorResult, which Session.execute's type does not say.
    expired = delete(IdempotencyKey).where(IdempotencyKey.created_at <= cutoff)
    return cast("CursorResult[Any]", session.execute(expired)).rowcount
