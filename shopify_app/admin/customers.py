"""Customers pages: search, detail with ledger, rewards and activity, adjust, exclude, approve or reject,
birthday, refund a reward."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import done, form_data, page_number, render
from shopify_app.clock import utcnow
from shopify_app.db import get_session
from shopify_app.errors import BadRequest, Conflict, FormErrors, NotFound, ServiceUnavailable
from shopify_app.jobs import reward_codes
from shopify_app.loyalty.ledger import adjustments
from shopify_app.loyalty.members import directory
from shopify_app.loyalty.members.birthdays import Birthday, birthday_of, set_birthday
from shopify_app.loyalty.members.summary import summarize
from shopify_app.loyalty.program.inputs import (
    Form,
    PointsChange,
    number_rule,
    optional_number_rule,
    parse_form,
    text_rule,
)
from shopify_app.loyalty.rewards import redemption as redemptions
from shopify_app.paging import PageRequest

# The customer page lists this many of the customer's reward codes, newest first.
REWARD_CODES_SHOWN = 50


class AdjustmentInput(Form):
    points: PointsChange
    note: Annotated[str, text_rule(max_length=500)]


class BirthdayInput(Form):
    day: Annotated[int, number_rule(minimum=1, maximum=31)]
    month: Annotated[int, number_rule(minimum=1, maximum=12)]
    year: Annotated[int | None, optional_number_rule(minimum=1, maximum=9999)]


def customers() -> ResponseReturnValue:
    query = request.args.get("q", "")[:320]
    page = directory.search(get_session(), current_shop().id, query, page_number())
    return render("admin/customers.html", query=query, result=page)


def customer(customer_id: str, *, status: int = 200, errors: dict[str, str] | None = None,
             failure: str = "") -> ResponseReturnValue:
    session = get_session()
    found = adjustments.get_customer(session, current_shop(), customer_id)
    ledger_status = request.args.get("status", "")
    codes = redemptions.history(session, found, PageRequest(number=1, size=REWARD_CODES_SHOWN, sort="created_at",
                                                            descending=True))
    return render(
        "admin/customer.html", status=status, errors=errors, form=form_data() if errors else {}, customer=found,
        ledger=directory.ledger(session, found, ledger_status), ledger_status=ledger_status,
        statuses=directory.STATUSES, summary=summarize(session, found), reward_codes=codes.rows,
        reward_codes_total=codes.total, activity=directory.activity(session, found), birthday=birthday_of(found),
        failure=failure,
    )


def adjust(customer_id: str) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    found = adjustments.get_customer(session, shop, customer_id)
    try:
        command = parse_form(AdjustmentInput, form_data())
    except FormErrors as error:
        return customer(customer_id, status=422, errors=error.fields)
    try:
        entry = adjustments.adjust_points(session, shop, found, command.points, command.note)
    except Conflict as error:  # an excluded customer: said beside the field, nothing written
        session.rollback()
        return customer(customer_id, status=error.status, errors={"points": error.detail})
    session.commit()
    return done("admin.customer", adjustments.adjustment_toast(command.points, entry.points), customer_id=customer_id)


def birthday(customer_id: str) -> ResponseReturnValue:
    """The customer's birthday through set_birthday, as the storefront sets it: one change a year."""
    session, shop, now = get_session(), current_shop(), utcnow()
    found = adjustments.get_customer(session, shop, customer_id)
    try:
        command = parse_form(BirthdayInput, form_data())
        set_birthday(session, found, Birthday.of(command.day, command.month, command.year, today=now.date()), now)
    except FormErrors as error:
        return customer(customer_id, status=422, errors=error.fields)
    except (BadRequest, Conflict) as error:  # no such date; changed less than a year ago (nothing written)
        session.rollback()
        return customer(customer_id, status=422 if isinstance(error, BadRequest) else error.status,
                        errors={"day": error.detail})
    session.commit()
    return done("admin.customer", "Birthday saved", customer_id=customer_id)


def exclusion(customer_id: str) -> ResponseReturnValue:
    session = get_session()
    found = adjustments.get_customer(session, current_shop(), customer_id)
    excluded = request.form.get("excluded") == "1"
    adjustments.set_excluded(session, found, excluded)
    session.commit()
    return done("admin.customer", "Customer excluded" if excluded else "Customer included", customer_id=customer_id)


def decide(customer_id: str, entry_id: str) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    found = adjustments.get_customer(session, shop, customer_id)
    approve = request.form.get("decision") == "approve"
    entry = adjustments.decide_pending(session, shop, found, entry_id, approve=approve)
    session.commit()
    return done("admin.customer", f"{entry.points} {shop.settings.points_name.lower()} {entry.status}",
                customer_id=customer_id)


def refund_reward(customer_id: str, redemption_id: str) -> ResponseReturnValue:
    """The refund of ``POST /v1/reward-history/{id}/refund``: the code deleted in Shopify, then the
    points back in their lots. Shopify failing, or a code no longer active, changes nothing and says why."""
    session, shop = get_session(), current_shop()
    found = adjustments.get_customer(session, shop, customer_id)
    redemption = redemptions.shop_redemption(session, shop.id, redemption_id)
    if redemption is None or redemption.customer_id != found.id:
        raise NotFound(f"Reward history entry '{redemption_id}' not found")
    try:
        refunded = reward_codes.refund(session, shop, redemption.id)
    except (Conflict, ServiceUnavailable) as error:
        session.rollback()
        return customer(customer_id, status=error.status, failure=error.detail)
    return done("admin.customer", f"{refunded.points_spent} {shop.settings.points_name.lower()} given back for "
                f"{refunded.discount_code}", customer_id=customer_id)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/customers", view_func=customers, endpoint="customers", methods=["GET"])
    bp.add_url_rule("/customers/<customer_id>", view_func=customer, endpoint="customer", methods=["GET"])
    bp.add_url_rule("/customers/<customer_id>/adjust", view_func=adjust, endpoint="adjust", methods=["POST"])
    bp.add_url_rule("/customers/<customer_id>/birthday", view_func=birthday, endpoint="birthday", methods=["POST"])
    bp.add_url_rule("/customers/<customer_id>/exclusion", view_func=exclusion, endpoint="exclusion",
                    methods=["POST"])
    bp.add_url_rule("/customers/<customer_id>/entries/<entry_id>/decision", view_func=decide, endpoint="decide",
                    methods=["POST"])
    bp.add_url_rule("/customers/<customer_id>/rewards/<redemption_id>/refund", view_func=refund_reward,
                    endpoint="refund_reward", methods=["POST"])
