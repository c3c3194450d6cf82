"""Privacy page: the customer data-request exports, listed and downloadable as JSON."""

from __future__ import annotations

import json

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import render
from shopify_app.db import get_session
from shopify_app.privacy import exports


def privacy_page() -> ResponseReturnValue:
    return render("admin/privacy.html", exports=exports.exports(get_session(), current_shop().id))


def download(export_id: str) -> ResponseReturnValue:
    row = exports.get_export(get_session(), current_shop().id, export_id)
    filename = f"data-request-{row.shopify_customer_id}-{row.created_at:%Y%m%d}.json"
    return Response(
        json.dumps(row.data, indent=2, sort_keys=True), mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/privacy", view_func=privacy_page, endpoint="privacy", methods=["GET"])
    bp.add_url_rule("/privacy/<export_id>/download", view_func=download, endpoint="privacy_download",
                    methods=["GET"])
