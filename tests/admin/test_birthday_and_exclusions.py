"""The admin's birthday field on the customer page and the purchase rule's exclusions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.loyalty.members.birthdays import Birthday
from shopify_app.models import Customer, EarningRule
from tests.admin.conftest import TokenClient


def newt(session: Session) -> Customer:
    found = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1002")).one()
    session.refresh(found)
    return found


def test_the_customer_page_sets_the_birthday_once_a_year(admin: TokenClient, session: Session,
                                                          demo_shop: dict[str, Any]) -> None:
    url = f"/admin/customers/{newt(session).id}/birthday"
    assert admin.post(url, data={"day": "31", "month": "2", "year": ""}).status_code == 422
    assert admin.post(url, data={"day": "x", "month": "2", "year": ""}).status_code == 422
    assert newt(session).date_of_birth is None
    saved = admin.post(url, data={"day": "17", "month": "5", "year": "1990"})
    assert saved.status_code == 303 and "toast=Birthday" in saved.headers["Location"]
    assert newt(session).date_of_birth == dt.date(1990, 5, 17)
    assert admin.post(url, data={"day": "18", "month": "5", "year": ""}).status_code == 303  # the one change
    refused = admin.post(url, data={"day": "19", "month": "5", "year": ""})
    assert refused.status_code == 409
    assert "can be changed again from" in refused.get_data(as_text=True)
    assert Birthday.stored(newt(session).date_of_birth) == Birthday(18, 5)  # type: ignore[arg-type]
    assert "--05-18" in admin.get(f"/admin/customers/{newt(session).id}").get_data(as_text=True)


def test_a_purchase_rule_form_shows_and_saves_its_exclusions(admin: TokenClient, session: Session,
                                                             demo_shop: dict[str, Any]) -> None:
    rule_id = demo_shop["rules"]["place_order"]
    page = admin.get(f"/admin/rules/{rule_id}").get_data(as_text=True)
    assert "Excluded collections" in page and "Verified" in page
    form = {"name": "Place an order", "points_to_give": "1", "approval_time": "0", "excluded_product_ids": "1, 2",
            "excluded_customer_tags": "staff", "exclude_b2b": "1"}
    assert admin.post(f"/admin/rules/{rule_id}", data=form).status_code == 303
    rule = session.get_one(EarningRule, rule_id)
    session.refresh(rule)
    assert (rule.excluded_product_ids, rule.excluded_customer_tags, rule.exclude_b2b) == (["1", "2"], ["staff"], True)
    assert "1, 2" in admin.get(f"/admin/rules/{rule_id}").get_data(as_text=True)
    social = admin.get(f"/admin/rules/{demo_shop['rules']['follow_on_instagram']}").get_data(as_text=True)
    assert "Self-reported" in social and "Excluded collections" not in social
