"""The Admin API documents the app sends use no field deprecated in 2026-10: a customer's email is
``defaultEmailAddress { emailAddress }`` (``Customer.email`` is deprecated)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import Customer
from tests.fakes.shopify import order_node
from tests.jobs.conftest import work


def test_reconciliation_enrols_a_new_customer_with_their_default_email_address(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.orders.append(order_node("5552", "#1052", "25.00", "0.00",
                                           ("7001", "Fresh@Example.com", "Fresh", "Buyer")))
    work(sync_app)
    member = session.scalars(select(Customer).where(Customer.shopify_customer_id == "7001")).one()
    assert (member.email, member.email_normalized, member.current_points) == ("Fresh@Example.com",
                                                                               "fresh@example.com", 25)
    documents = [r.json["query"] for r in fakes.shopify.received("POST") if r.path.endswith("/graphql.json")]
    assert any("orders(" in document for document in documents)
    assert not [document for document in documents if "customer {" in document and " email " in document]
