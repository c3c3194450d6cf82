"""/v1/customers: the shop's members listed, one read, their birthday, anniversary and earning history."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.api.auth import current_shop
from shopify_app.db import get_session
from shopify_app.loyalty.members import directory
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.loyalty.members.summary import next_expiries, summarize
from shopify_app.models import EntryStatus
from shopify_app.web import listing, serializers
from shopify_app.web.jsonapi import collection, respond

CUSTOMER_SORTS = {"created_at": "created_at", "points": "current_points", "lifetime_points": "lifetime_points",
                  "redeemed_points": "redeemed_points"}
HISTORY_SORTS = {"created_at": "created_at", "points": "points", "points_given_at": "points_given_at"}
LOYALTY_STATUSES = ("member", "excluded")
ENTRY_STATUSES = tuple(s.value for s in EntryStatus)


def list_customers() -> ResponseReturnValue:
    filters = listing.filters(request.args, ("email", "loyalty_status"))
    page_request = listing.page_request(request.args, CUSTOMER_SORTS)
    excluded = None
    if "loyalty_status" in filters:
        excluded = listing.one_of("filter[loyalty_status]", filters["loyalty_status"], LOYALTY_STATUSES) == "excluded"
    session = get_session()
    page = directory.list_customers(session, current_shop().id, page_request, email=filters.get("email"),
                                    excluded=excluded)
    expiries = next_expiries(session, page.rows)
    return collection([serializers.customer(c, expiries.get(c.id)) for c in page.rows], listing.meta(page))


def show_customer(identifier: str) -> ResponseReturnValue:
    exclude_vip = listing.boolean("exclude_vip", request.args.get("exclude_vip", "false"))
    session = get_session()
    summary = summarize(session, find_customer(session, current_shop().id, identifier))
    return respond({"data": serializers.customer(summary.customer, summary.points_expire_at,
                                                 with_vip=not exclude_vip)}, 200)


def birthday(identifier: str) -> ResponseReturnValue:
    customer = find_customer(get_session(), current_shop().id, identifier)
    return respond({"data": serializers.birthday(customer)}, 200)


def anniversary(identifier: str) -> ResponseReturnValue:
    customer = find_customer(get_session(), current_shop().id, identifier)
    return respond({"data": serializers.anniversary(customer)}, 200)


def earning_history(identifier: str) -> ResponseReturnValue:
    filters = listing.filters(request.args, ("status",))
    page_request = listing.page_request(request.args, HISTORY_SORTS)
    status = listing.one_of("filter[status]", filters["status"], ENTRY_STATUSES) if "status" in filters else None
    session = get_session()
    customer = find_customer(session, current_shop().id, identifier)
    page = directory.earning_history(session, customer, page_request, status=status)
    return collection([serializers.history_entry(e) for e in page.rows], listing.meta(page))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/customers", view_func=list_customers, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>", view_func=show_customer, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>/birthday", view_func=birthday, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>/anniversary", view_func=anniversary, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>/earning-history", view_func=earning_history, methods=["GET"])
