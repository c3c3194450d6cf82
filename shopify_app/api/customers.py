"""/v1/customers: the shop's members listed and read, their birthday, anniversary and earning history;
their editable fields updated and their points adjusted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from shopify_app.api.auth import current_shop, current_shop_id
from shopify_app.auth import shopify_http
from shopify_app.clock import utcnow
from shopify_app.config import loyalty_config
from shopify_app.db import get_session, lone_statement_connection, sessionmaker_for
from shopify_app.errors import Forbidden, NotFound, ServiceUnavailable
from shopify_app.integrations.http import DeliveryError
from shopify_app.integrations.shopify_customers import fetch_customer
from shopify_app.integrations.shopify_graphql import WAITED_ON_ATTEMPTS, GraphQLClient, graphql_url
from shopify_app.loyalty.earning.signup import customer_created
from shopify_app.loyalty.ledger.adjustments import adjust_points, set_excluded
from shopify_app.loyalty.members import directory, profile
from shopify_app.loyalty.members.birthdays import Birthday, set_birthday
from shopify_app.loyalty.members.enrolment import find_member
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.loyalty.members.summary import member_summary, next_expiries, summarize
from shopify_app.models import Customer, EntryStatus
from shopify_app.paging import Page
from shopify_app.redis_conn import get_redis
from shopify_app.shops.tokens import ShopNotConnected, fresh_access_token
from shopify_app.web import listing, serializers
from shopify_app.web.bodies import Body, InvalidBody, IsoDate, Text, parse_body
from shopify_app.web.jsonapi import collection, respond

CUSTOMER_SORTS = {"created_at": "created_at", "points": "current_points", "lifetime_points": "lifetime_points",
                  "redeemed_points": "redeemed_points"}
HISTORY_SORTS = {"created_at": "created_at", "points": "points", "points_given_at": "points_given_at"}
LOYALTY_STATUSES = ("member", "excluded")
ENTRY_STATUSES = tuple(s.value for s in EntryStatus)
T = TypeVar("T")


def list_customers() -> ResponseReturnValue:
    filters = listing.filters(request.args, ("email", "loyalty_status"))
    page_request = listing.page_request(request.args, CUSTOMER_SORTS)
    excluded = None
    if "loyalty_status" in filters:
        excluded = listing.one_of("filter[loyalty_status]", filters["loyalty_status"], LOYALTY_STATUSES) == "excluded"
    session = get_session()
    page = directory.list_customers(session, current_shop_id(), page_request, email=filters.get("email"),
                                    excluded=excluded)
    expiries = next_expiries(session, page.rows)
    return collection([serializers.customer(c, expiries.get(c.id)) for c in page.rows], listing.meta(page))


def show_customer(identifier: str) -> ResponseReturnValue:
    exclude_vip = listing.boolean("exclude_vip", request.args.get("exclude_vip", "false"))
    summary = member_summary(lone_statement_connection(), current_shop_id(), identifier)
    return respond({"data": serializers.member(summary, with_vip=not exclude_vip)}, 200)


def _customer_document(customer: Customer, *, status: int = 200) -> ResponseReturnValue:
    return respond({"data": serializers.member(summarize(get_session(), customer))}, status)


def _digits(value: str) -> str:
    if not (value.isascii() and value.isdigit() and len(value) <= 20):
        raise PydanticCustomError("shopify_id", "must be a Shopify customer id (digits)")
    return value


class EnrolBody(Body):
    shopify_customer_id: Annotated[str, AfterValidator(_digits)]


# After WAITED_ON_ATTEMPTS a 503, and the client retries (with its Idempotency-Key).
SHOPIFY_UNREACHABLE = "Shopify could not be reached to read the customer; try again shortly"


def enrol_customer() -> ResponseReturnValue:
    """201 with a new member read from Shopify (lowest tier, sign-up points), 200 with one enrolled already."""
    body = parse_body(request, EnrolBody)
    session, shop = get_session(), current_shop()
    member = find_member(session, shop, body.shopify_customer_id)
    if member is not None:
        return _customer_document(member)
    config = loyalty_config(current_app)
    http = shopify_http(current_app)

    def token() -> str:
        return fresh_access_token(sessionmaker_for(current_app), shop.id, config, get_redis(current_app), http)

    client = GraphQLClient(http, graphql_url(config, shop.domain), token, None, attempts=WAITED_ON_ATTEMPTS)
    try:
        found = fetch_customer(client, body.shopify_customer_id)
    except (DeliveryError, ShopNotConnected):
        raise ServiceUnavailable(SHOPIFY_UNREACHABLE) from None
    customer = customer_created(session, shop, found) if found is not None else None
    if customer is None:
        raise NotFound(f"Shopify customer '{body.shopify_customer_id}' not found")
    session.flush()
    response = _customer_document(customer, status=201)
    session.commit()
    return response


class UpdateCustomerBody(Body):
    date_of_birth: IsoDate | None = None
    anniversary_date: IsoDate | None = None
    is_excluded: bool | None = None


def update_customer(identifier: str) -> ResponseReturnValue:
    body = parse_body(request, UpdateCustomerBody)
    session = get_session()
    customer = find_customer(session, current_shop_id(), identifier)
    given = body.model_fields_set
    if "date_of_birth" in given:
        born, now = body.date_of_birth, utcnow()
        birthday = Birthday.of(born.day, born.month, born.year, today=now.date()) if born is not None else None
        set_birthday(session, customer, birthday, now)
    if "anniversary_date" in given:
        profile.set_anniversary(session, customer, body.anniversary_date)
    if body.is_excluded is not None:
        set_excluded(session, customer, body.is_excluded)
    session.flush()
    response = _customer_document(customer)
    session.commit()
    return response


# A larger adjustment is a typo; it would also overflow nothing, but no merchant means it.
MAX_ADJUSTMENT = 100_000_000


class PointsBody(Body):
    adjustment: Annotated[int, Field(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)]
    note: Annotated[Text, Field(max_length=1000)] | None = None
    update_lifetime_points: bool = True
    send_email: bool = True


def adjust_customer_points(identifier: str) -> ResponseReturnValue:
    body = parse_body(request, PointsBody)
    if body.adjustment == 0:
        raise InvalidBody(["'adjustment' must not be 0"])
    session, shop = get_session(), current_shop()
    customer = find_customer(session, shop.id, identifier)
    if customer.is_excluded:
        raise Forbidden(f"Customer '{customer.shopify_customer_id}' is excluded from the loyalty program")
    entry = adjust_points(session, shop, customer, body.adjustment, body.note,
                          update_lifetime=body.update_lifetime_points, announce=body.send_email)
    response = respond({"data": serializers.points_adjustment(entry, customer, body.adjustment)}, 200)
    session.commit()
    return response


def birthday(identifier: str) -> ResponseReturnValue:
    customer = find_customer(get_session(), current_shop_id(), identifier)
    return respond({"data": serializers.birthday(customer)}, 200)


def anniversary(identifier: str) -> ResponseReturnValue:
    customer = find_customer(get_session(), current_shop_id(), identifier)
    return respond({"data": serializers.anniversary(customer)}, 200)


def earning_history(identifier: str) -> ResponseReturnValue:
    return customer_history(identifier, HISTORY_SORTS, ENTRY_STATUSES, directory.earning_history,
                            serializers.history_entry)


def customer_history(identifier: str, sorts: Mapping[str, str], statuses: tuple[str, ...],
                     read: Callable[..., Page[T]], serialize: Callable[[T], dict[str, Any]]) -> ResponseReturnValue:
    """One page of a customer's history (``read(session, customer, page_request, status=...)``), ``filter[status]``
    one of ``statuses``; 404 for another shop's customer."""
    filters = listing.filters(request.args, ("status",))
    page_request = listing.page_request(request.args, sorts)
    status = listing.one_of("filter[status]", filters["status"], statuses) if "status" in filters else None
    session = get_session()
    customer = find_customer(session, current_shop_id(), identifier)
    page = read(session, customer, page_request, status=status)
    return collection([serialize(row) for row in page.rows], listing.meta(page))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/customers", view_func=list_customers, methods=["GET"])
    bp.add_url_rule("/customers", view_func=enrol_customer, methods=["POST"])
    bp.add_url_rule("/customers/<identifier>", view_func=show_customer, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>", view_func=update_customer, methods=["PUT"])
    bp.add_url_rule("/customers/<identifier>/points", view_func=adjust_customer_points, methods=["POST"])
    bp.add_url_rule("/customers/<identifier>/birthday", view_func=birthday, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>/anniversary", view_func=anniversary, methods=["GET"])
    bp.add_url_rule("/customers/<identifier>/earning-history", view_func=earning_history, methods=["GET"])
