"""Overview page: the set-up checklist, members, points over 30 or 90 days, top rules, sync health."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from shopify_app.admin import chart
from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import done, render
from shopify_app.config import loyalty_config
from shopify_app.db import get_session
from shopify_app.redis_conn import get_redis
from shopify_app.reporting import overview as reporting
from shopify_app.shops import onboarding


def overview() -> ResponseReturnValue:
    days = int(request.args.get("days", "30")) if request.args.get("days") in ("30", "90") else 30
    session, shop = get_session(), current_shop()
    figures = reporting.overview(session, shop.id, days, cache=get_redis(current_app))
    return render("admin/overview.html", days=days, periods=reporting.PERIODS, figures=figures,
                  chart=chart.build(figures.points), checklist=onboarding.checklist(session, shop),
                  theme_editor_url=onboarding.theme_editor_url(shop, loyalty_config(current_app).shopify_api_key))


def tick_step(step: str) -> ResponseReturnValue:
    onboarding.tick(current_shop(), step)
    get_session().commit()
    return done("admin.overview", "Step marked as done")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=overview, endpoint="overview", methods=["GET"])
    bp.add_url_rule("/setup/<step>", view_func=tick_step, endpoint="tick_step", methods=["POST"])
