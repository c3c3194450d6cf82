"""The default program's rules, as install and the demo create them, open and save unchanged in the admin."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.devtools import demo
from shopify_app.loyalty.program.defaults import DEFAULT_RULES
from shopify_app.models import EarningRule
from shopify_app.shops.installs import install_with_access_token, manual_install
from tests.admin.conftest import TokenClient

INSTALLED = "fresh-install.myshopify.com"


class FormValues(HTMLParser):
    """The named controls of the page's rule form and their values, as a browser would submit them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.values = action, False, {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("action") == self.action:
            self.inside = True
        elif self.inside and attributes.get("name") and tag != "button":
            name = attributes["name"] or ""
            if tag == "textarea":
                self._textarea = name
            self.values[name] = attributes.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def open_and_save_every_rule(admin: TokenClient, session: Session, shop_id: str) -> list[str]:
    """GET each rule's edit page, POST its form back unchanged; returns the actions saved."""
    saved = []
    rules = session.scalars(select(EarningRule).where(EarningRule.shop_id == shop_id)).all()
    for rule in rules:
        before = (rule.name, rule.points_to_give, rule.approval_time, rule.customer_facing_label,
                  rule.call_to_action_url, rule.description)
        url = f"/admin/rules/{rule.id}"
        page = admin.get(url)
        assert page.status_code == 200, rule.action
        form = FormValues(url)
        form.feed(page.get_data(as_text=True))
        assert {"name", "points_to_give"} <= set(form.values), rule.action
        answer = admin.post(url, data=form.values)
        assert answer.status_code == 303, (rule.action, answer.get_data(as_text=True))
        assert "toast=Saved" in answer.headers["Location"]
        session.refresh(rule)
        after = (rule.name, rule.points_to_give, rule.approval_time, rule.customer_facing_label,
                 rule.call_to_action_url, rule.description)
        assert after == before, rule.action
        saved.append(rule.action)
    return sorted(saved)


@pytest.fixture
def installed_shop(app: Flask, session: Session) -> str:
    shop = install_with_access_token(session, manual_install(INSTALLED, "shpat_custom_app", "77"),
                                     app.config["LOYALTY"])
    session.commit()
    return shop.id


def test_every_default_rule_of_an_installed_shop_saves_unchanged(app: Flask, session: Session,
                                                                 installed_shop: str) -> None:
    saved = open_and_save_every_rule(TokenClient(app, INSTALLED), session, installed_shop)
    assert saved == sorted(rule["action"] for rule in DEFAULT_RULES) == ["place_order", "signup"]


def test_every_rule_of_the_demo_shop_saves_unchanged(admin: TokenClient, session: Session,
                                                     demo_shop: dict[str, Any]) -> None:
    saved = open_and_save_every_rule(admin, session, demo_shop["shop_id"])
    assert saved == sorted(rule["action"] for rule in demo.RULES)

