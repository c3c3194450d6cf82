"""Rendering admin pages: the shared context, toasts after redirects, form re-display with errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import AdminIdentity, csrf_token
from shopify_app.admin.form_tokens import new_form_token
from shopify_app.config import loyalty_config
from shopify_app.shops.tokens import awaits_reconnect

NAV = (
    ("admin.overview", "Overview"),
    ("admin.rules", "Earning rules"),
    ("admin.tiers", "VIP tiers"),
    ("admin.rewards", "Rewards"),
    ("admin.customers", "Customers"),
    ("admin.import_export", "Import & export"),
    ("admin.settings", "Settings"),
    ("admin.privacy", "Privacy"),
)
TOAST_LIMIT = 200
# Table rows and cells: Polaris web components inside Shopify, plain HTML in demo mode.
TABLE_TAGS = {True: {"tr": "s-table-row", "td": "s-table-cell"}, False: {"tr": "tr", "td": "td"}}


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
        t=TABLE_TAGS[identity.embedded],
        new_form_token=new_form_token,
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def done(endpoint: str, toast: str, **values: Any) -> ResponseReturnValue:
    """Post/redirect/get; the toast rides in the URL because an embedded app gets no cookies, and so
    does the post's session token (valid for a minute): the page after it is one document load."""
    identity: AdminIdentity = g.admin
    if identity.session_token:
        values["id_token"] = identity.session_token
    return redirect(url_for(endpoint, toast=toast, **values), code=303)


def when(value: dt.datetime) -> str:
    """Template filter: a timestamp as merchants read it, in the shop's time zone (UTC until the
    install has read it), named by its abbreviation (EST, CET…)."""
    identity: AdminIdentity | None = g.get("admin")
    zone = shop_zone(identity.shop.iana_timezone if identity else "UTC")
    return value.astimezone(zone).strftime("%b %d, %Y %H:%M %Z")


def shop_zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return dt.UTC


def form_data() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in ("csrf_token", "id_token", "form_token")}


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
