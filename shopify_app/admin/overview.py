"""Overview page: members, points over 30 or 90 days, top rules, sync health."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from shopify_app.admin import chart
from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import render
from shopify_app.db import get_session
from shopify_app.redis_conn import get_redis
from shopify_app.reporting import overview as reporting


def overview() -> ResponseReturnValue:
    days = int(request.args.get("days", "30")) if request.args.get("days") in ("30", "90") else 30
    figures = reporting.overview(get_session(), current_shop().id, days, cache=get_redis(current_app))
    return render("admin/overview.html", days=days, periods=reporting.PERIODS, figures=figures,
                  chart=chart.build(figures.points))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=overview, endpoint="overview", methods=["GET"])
