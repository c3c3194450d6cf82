"""The embedded admin: session-token-authenticated pages under /admin, plus its public bounce page."""

from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify, request
from flask.typing import ResponseReturnValue

from shopify_app.admin import (
    auth,
    customers,
    form_tokens,
    imports,
    overview,
    privacy,
    program,
    public,
    rewards,
    settings,
)
from shopify_app.admin.pages import render, when
from shopify_app.config import loyalty_config
from shopify_app.errors import DomainError
from shopify_app.loyalty.program.rules import action_label, category_label
from shopify_app.models.outbox import topic_label

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(auth.authenticate)
bp.before_request(form_tokens.claim_form_token)
for module in (overview, program, rewards, customers, imports, settings, privacy):
    module.register(bp)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> ResponseReturnValue:
    if request.path.startswith("/admin/api/"):
        return jsonify(error=error.detail), error.status
    if g.get("admin") is None:
        return public.plain_error(error)
    return render("admin/error.html", status=error.status, error=error)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(auth.admin_headers)
    app.add_template_filter(when)
    app.add_template_global(action_label)
    app.add_template_global(category_label)
    app.add_template_global(topic_label)
    app.register_blueprint(public.build_blueprint(dev_login_enabled=loyalty_config(app).admin_dev_login))
