"""/v1/earning-history/{id}: a pending entry approved or rejected by the merchant's integration."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop
from shopify_app.db import get_session
from shopify_app.loyalty.ledger.adjustments import decide_pending
from shopify_app.models import EarningEntry
from shopify_app.shops.lookup import get_owned
from shopify_app.web import serializers
from shopify_app.web.jsonapi import respond


def _decide(entry_id: str, *, approve: bool) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    entry = get_owned(session, EarningEntry, shop.id, entry_id, "Earning history entry")
    decided = decide_pending(session, shop, entry.customer, entry.id, approve=approve)
    response = respond({"data": serializers.history_entry(decided)}, 200)
    session.commit()
    return response


def approve(entry_id: str) -> ResponseReturnValue:
    return _decide(entry_id, approve=True)


def reject(entry_id: str) -> ResponseReturnValue:
    return _decide(entry_id, approve=False)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/earning-history/<entry_id>/approve", view_func=approve, methods=["POST"])
    bp.add_url_rule("/earning-history/<entry_id>/reject", view_func=reject, methods=["POST"])
