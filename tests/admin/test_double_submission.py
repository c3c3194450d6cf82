"""A form sent twice changes things once: reloading after "Create key", a double click, a race."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.models import ApiKey, FormSubmission
from shopify_app.shops.form_submissions import FORM_TOKEN_RETENTION, forget_old_form_tokens
from tests.admin.conftest import TokenClient, form_token_of
from tests.admin.test_concurrent_saves import post_at_once

CREATE_KEY = "/admin/settings/api-keys"


def _keys(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.name == "Server")) or 0


def test_reposting_create_key_creates_no_second_key(admin: TokenClient, session: Session) -> None:
    form = {"key_name": "Server", "access": "full",
            "form_token": form_token_of(admin.get("/admin/settings").get_data(as_text=True))}
    first = admin.post(CREATE_KEY, data=form)
    assert first.status_code == 200 and "shown only once" in first.get_data(as_text=True)
    again = admin.post(CREATE_KEY, data=form)  # what a reload of the page that shows the key sends
    assert again.status_code == 409 and "sent already" in again.get_data(as_text=True)
    assert "lk_" not in again.get_data(as_text=True).split("<s-page")[1]
    assert _keys(session) == 1


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(admin: TokenClient, session: Session) -> None:
    token = form_token_of(admin.get("/admin/settings").get_data(as_text=True))
    assert admin.post(CREATE_KEY, data={"key_name": "", "access": "full", "form_token": token}).status_code == 422
    assert admin.post(CREATE_KEY, data={"key_name": "Server", "access": "full", "form_token": token}).status_code == 200
    assert _keys(session) == 1


def test_a_post_without_its_form_token_is_refused(admin: TokenClient, session: Session) -> None:
    refused = admin.post(CREATE_KEY, data={"key_name": "Server", "access": "full", "form_token": ""})
    assert refused.status_code == 400 and "reload the page" in refused.get_data(as_text=True)
    assert _keys(session) == 0


def test_the_same_form_sent_at_once_creates_one_key(app: Flask, demo_shop: dict[str, Any], session: Session) -> None:
    form = {"key_name": "Server", "access": "full", "form_token": "one-token-sent-ten-times"}
    responses = post_at_once(app, demo_shop, CREATE_KEY, [form] * 10)
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert _keys(session) == 1


def test_used_form_tokens_are_forgotten_after_their_retention(admin: TokenClient, session: Session,
                                                              demo_shop: dict[str, Any]) -> None:
    admin.post(CREATE_KEY, data={"key_name": "Server", "access": "full", "form_token": "kept-a-week"})
    assert forget_old_form_tokens(session, now=utcnow() + FORM_TOKEN_RETENTION - dt.timedelta(minutes=1)) == 0
    assert forget_old_form_tokens(session, now=utcnow() + FORM_TOKEN_RETENTION + dt.timedelta(minutes=1)) == 1
    assert session.scalar(select(func.count()).select_from(FormSubmission)) == 0
