"""One-time form tokens: every rendered admin form carries a fresh one, and a post whose token went
through already (a reload, a double click, the back button) is refused before it changes anything."""

from __future__ import annotations

import secrets

from flask import request

from shopify_app.admin.auth import current_shop
from shopify_app.db import get_session
from shopify_app.errors import BadRequest, Conflict
from shopify_app.models import FormSubmission
from shopify_app.upserts import insert_new

FIELD = "form_token"
MAX_LENGTH = 64


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def claim_form_token() -> None:
    """before_request of admin form posts. The token's row is written in the request's own
    transaction: a post that fails (a 422, a conflict) rolls it back, so the corrected form can be
    sent again, and of two identical posts racing, the unique key lets exactly one through."""
    if request.method != "POST" or request.path.startswith("/admin/api/"):
        return
    token = request.form.get(FIELD, "")
    if not token or len(token) > MAX_LENGTH:
        raise BadRequest("The form is missing its token: reload the page and send it again")
    claimed = insert_new(get_session(), FormSubmission, {"shop_id": current_shop().id, "token": token},
                         conflict=["shop_id", "token"])
    if claimed is None:
        raise Conflict("This form was sent already, so nothing was changed this time. "
                       "Open the page again to make another change.")
