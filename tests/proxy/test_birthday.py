"""Birthdays: set from the storefront, changed at most once a year, celebrated once a year."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.errors import Conflict
from shopify_app.jobs.scheduled import run_daily
from shopify_app.loyalty.members.birthdays import Birthday, set_birthday
from shopify_app.models import Customer, EarningEntry
from tests.api.test_award import customer_row, error_of
from tests.proxy.signing import signed_query
from tests.proxy.test_endpoints import attributes, call


def post_birthday(client: FlaskClient, customer_id: str | None, body: Any) -> Any:
    query = signed_query(customer_id, params=[("nonce", uuid.uuid4().hex)])
    return client.post(f"/proxy/customer/birthday?{query}", json=body)


def test_a_member_sets_their_birthday_and_reads_it_back(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    assert attributes(call(client, "/customer", "1002"))["date_of_birth"] is None
    response = post_birthday(client, "1002", {"day": 17, "month": 5, "year": 1990})
    assert attributes(response)["date_of_birth"] == "1990-05-17"
    assert attributes(call(client, "/customer", "1002"))["date_of_birth"] == "1990-05-17"
    # Without the year: an ISO 8601 date with the year left out.
    response = post_birthday(client, "1001", {"day": 29, "month": 2, "year": None})
    assert attributes(response)["date_of_birth"] == "--02-29"
    assert attributes(post_birthday(client, "1003", {"day": 1, "month": 1}))["date_of_birth"] == "--01-01"


def test_a_second_change_within_a_year_is_refused_and_keeps_the_date(client: FlaskClient, app: Flask,
                                                                      demo_shop: dict[str, Any]) -> None:
    assert post_birthday(client, "1002", {"day": 17, "month": 5, "year": 1990}).status_code == 200
    # The same date again is no change.
    assert post_birthday(client, "1002", {"day": 17, "month": 5, "year": 1990}).status_code == 200
    assert post_birthday(client, "1002", {"day": 18, "month": 5, "year": 1990}).status_code == 200  # a typo fixed
    refused = post_birthday(client, "1002", {"day": 1, "month": 6, "year": 1990})
    assert refused.status_code == 409
    assert "can be changed again from" in error_of(refused)["detail"]
    assert customer_row(app, "1002").date_of_birth == dt.date(1990, 5, 18)


def test_a_change_is_allowed_again_a_year_after_the_last(app: Flask, demo_shop: dict[str, Any],
                                                         session: Session) -> None:
    member = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1002")).one()
    start = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.timezone.utc)
    set_birthday(session, member, Birthday(17, 5, 1990), start)
    set_birthday(session, member, Birthday(18, 5, 1990), start + dt.timedelta(days=1))
    with pytest.raises(Conflict):
        set_birthday(session, member, Birthday(19, 5, 1990), start + dt.timedelta(days=365))
    assert member.date_of_birth == dt.date(1990, 5, 18)
    set_birthday(session, member, Birthday(19, 5, None), start + dt.timedelta(days=366))
    assert (Birthday.stored(member.date_of_birth), member.date_of_birth_changed_at) == (
        Birthday(19, 5, None), start + dt.timedelta(days=366))


@pytest.mark.parametrize("body,detail", [
    ({"day": 31, "month": 2, "year": 1990}, "31/2/1990 (day/month/year) is not a date"),
    ({"day": 29, "month": 2, "year": 2023}, "is not a date"),
    ({"day": 30, "month": 2}, "30/2 (day/month/year) is not a date"),
    ({"day": 0, "month": 1}, "is not a date"),
    ({"day": 1, "month": 13}, "is not a date"),
    ({"day": 1, "month": 1, "year": 10**30}, "is not a date"),
    ({"day": 1, "month": 1, "year": 1899}, "must be from 1900 to today"),
    ({"day": 1, "month": 1, "year": utcnow().year + 1}, "must be from 1900 to today"),
    ({"day": "1", "month": 1}, "'day'"),
    ({"day": True, "month": 1}, "'day'"),
    ({"month": 1}, "'day' is required"),
    ([1, 1], "must be a JSON object"),
])
def test_an_impossible_date_is_a_400(client: FlaskClient, app: Flask, demo_shop: dict[str, Any], body: Any,
                                     detail: str) -> None:
    response = post_birthday(client, "1002", body)
    assert response.status_code == 400
    assert detail in error_of(response)["detail"]
    assert customer_row(app, "1002").date_of_birth is None


def test_only_a_known_member_logged_in_sets_a_birthday(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    assert post_birthday(client, None, {"day": 1, "month": 1}).status_code == 401
    assert post_birthday(client, "999999", {"day": 1, "month": 1}).status_code == 404


def test_the_birthday_rule_fires_once_a_year_even_when_the_date_moves(client: FlaskClient, app: Flask,
                                                                       demo_shop: dict[str, Any]) -> None:
    today = utcnow().date()
    yesterday = today - dt.timedelta(days=1)
    sessions = sessionmaker_for(app)
    assert post_birthday(client, "1002", {"day": yesterday.day, "month": yesterday.month}).status_code == 200
    run_daily(sessions, today)
    # Moved to today, the birthday pays nothing more this year.
    assert post_birthday(client, "1002", {"day": today.day, "month": today.month}).status_code == 200
    run_daily(sessions, today)
    with sessions() as session:
        keys = session.scalars(select(EarningEntry.dedupe_key).where(EarningEntry.action == "birthday")).all()
    assert [key.rsplit(":", 1)[1] for key in keys] == [str(today.year)]
    assert customer_row(app, "1002").current_points == 250
