"""Rendering admin pages: the shared context, toasts after redirects, form re-display with errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import AdminIdentity, csrf_token
from shopify_app.config import loyalty_config
from shopify_app.shops.tokens import awaits_reconnect

NAV = (
    ("admin.overview", "Overview"),
    ("admin.rules", "Earning rules"),
    ("admin.tiers", "VIP tiers"),
    ("admin.customers", "Customers"),
    ("admin.settings", "Settings"),
    ("admin.privacy", "Privacy"),
)
TOAST_LIMIT = 200


def render(template: str, *, status: int = 200, errors: dict[str, str] | None = None, **context: Any) -> Response:
    identity: AdminIdentity = g.admin
    html = render_template(
        template,
        shop=identity.shop,
        embedded=identity.embedded,
        api_key=loyalty_config(current_app).shopify_api_key,
        csrf_token="" if identity.embedded else csrf_token(),
        reconnect=awaits_reconnect(identity.shop),
        nav=NAV,
        section=next((e for e, _ in NAV if (request.endpoint or "").startswith(e[:-1])), None),
        toast=context.pop("toast", None) or (request.args.get("toast") or "")[:TOAST_LIMIT],
        errors=errors or {},
        form=context.pop("form", None) or {},
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def done(endpoint: str, toast: str, **values: Any) -> ResponseReturnValue:
    """Post/redirect/get; the toast rides in the URL because an embedded app gets no cookies."""
    return redirect(url_for(endpoint, toast=toast, **values), code=303)


def when(value: dt.datetime) -> str:
    """Template filter: a timestamp as merchants read it, in UTC."""
    return value.astimezone(dt.timezone.utc).strftime("%b %d, %Y %H:%M UTC")


def form_data() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in ("csrf_token", "id_token")}


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
