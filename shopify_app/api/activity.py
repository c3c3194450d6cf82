"""/v1/activity: the shop-wide feed of ledger and reward events, newest first."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop
from shopify_app.db import get_session
from shopify_app.errors import BadRequest, quote
from shopify_app.loyalty.members import directory
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.web import listing, serializers
from shopify_app.web.jsonapi import collection

ACTIVITY_SORTS = {"occurred_at": "created_at"}


def _since(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"'filter[since]' must be an ISO 8601 time, not '{quote(raw)}'") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def list_activity() -> ResponseReturnValue:
    filters = listing.filters(request.args, ("customer", "kind", "since"))
    page_request = listing.page_request(request.args, ACTIVITY_SORTS, default_sort="-occurred_at")
    session, shop = get_session(), current_shop()
    customer_id = find_customer(session, shop.id, filters["customer"]).id if "customer" in filters else None
    since = _since(filters["since"]) if "since" in filters else None
    page = directory.shop_activity(session, shop.id, page_request, customer_id=customer_id,
                                   kind=filters.get("kind"), since=since)
    shopify_ids = directory.shopify_ids(session, {e.customer_id for e in page.rows if e.customer_id})
    return collection([serializers.activity(e, shopify_ids.get(e.customer_id) if e.customer_id else None)
                       for e in page.rows], listing.meta(page))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/activity", view_func=list_activity, methods=["GET"])
