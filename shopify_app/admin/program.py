"""Earning rules and VIP tiers pages: list, create, edit, (de)activate, delete."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import done, form_data, render
from shopify_app.db import get_session
from shopify_app.errors import FormErrors
from shopify_app.jobs import bulk, collections
from shopify_app.loyalty.program import rules as program_rules
from shopify_app.loyalty.program import tiers as program_tiers
from shopify_app.loyalty.program.inputs import parse_form
from shopify_app.models import BulkJobKind
from shopify_app.redis_conn import get_redis
from shopify_app.shops import onboarding


def rules() -> ResponseReturnValue:
    return render("admin/rules.html", rules=program_rules.rules(get_session(), current_shop().id),
                  catalogue=program_rules.CATALOGUE)


def rule_form(rule_id: str | None = None) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    rule = program_rules.get_rule(session, shop.id, rule_id) if rule_id else None
    item = program_rules.BY_ACTION.get(rule.action if rule else request.args.get("action", ""))
    if request.method == "GET":
        form = {"action": item.action, "name": item.name} if item and not rule else {}
        return render("admin/rule_form.html", rule=rule, item=item, catalogue=program_rules.CATALOGUE, form=form)
    try:
        saved = program_rules.save_rule(session, shop, parse_form(program_rules.RuleInput, form_data()), rule)
        onboarding.tick(shop, "rules")
    except FormErrors as error:
        item = item or program_rules.BY_ACTION.get(request.form.get("action", ""))
        return render("admin/rule_form.html", status=422, rule=rule, item=item, catalogue=program_rules.CATALOGUE,
                      form=form_data(), errors=error.fields)
    session.commit()
    if saved.excluded_collection_ids:
        collections.enqueue_refresh(get_redis(current_app), shop.id)
    return done("admin.rules", f"Saved \u201c{saved.name}\u201d")


def rule_active(rule_id: str) -> ResponseReturnValue:
    session = get_session()
    shop = current_shop()
    rule = program_rules.get_rule(session, shop.id, rule_id)
    program_rules.set_rule_active(session, shop, rule, request.form.get("active") == "1")
    onboarding.tick(shop, "rules")
    session.commit()
    return done("admin.rules", f"\u201c{rule.name}\u201d {'activated' if rule.is_active else 'deactivated'}")


def tiers() -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    return render("admin/tiers.html", tiers=program_tiers.tiers(session, shop.id),
                  job=bulk.latest(session, shop.id, BulkJobKind.RECOMPUTE_TIERS))


def tier_form(tier_id: str | None = None) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    tier = program_tiers.get_tier(session, shop.id, tier_id) if tier_id else None
    if request.method == "GET":
        return render("admin/tier_form.html", tier=tier)
    try:
        moved = program_tiers.save_tier(session, shop, parse_form(program_tiers.TierInput, form_data()), tier)
    except FormErrors as error:
        return render("admin/tier_form.html", status=422, tier=tier, form=form_data(), errors=error.fields)
    return _recompute_and_finish(moved, "Tier saved")


def tier_delete(tier_id: str) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    program_tiers.delete_tier(session, shop, program_tiers.get_tier(session, shop.id, tier_id))
    return _recompute_and_finish(True, "Tier deleted")


def _recompute_and_finish(moved: bool, toast: str) -> ResponseReturnValue:
    session = get_session()
    job = bulk.start(session, current_shop(), BulkJobKind.RECOMPUTE_TIERS) if moved else None
    session.commit()
    if job is not None:
        if bulk.enqueue(get_redis(current_app), job):
            toast += "; members' tiers are being recomputed"
        else:
            toast += (". The job queue cannot be reached right now; members' tiers are recomputed as soon as "
                      "it is back")
    return done("admin.tiers", toast)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/rules", view_func=rules, endpoint="rules", methods=["GET"])
    bp.add_url_rule("/rules/new", view_func=rule_form, endpoint="rule_new", methods=["GET", "POST"])
    bp.add_url_rule("/rules/<rule_id>", view_func=rule_form, endpoint="rule_edit", methods=["GET", "POST"])
    bp.add_url_rule("/rules/<rule_id>/active", view_func=rule_active, endpoint="rule_active", methods=["POST"])
    bp.add_url_rule("/tiers", view_func=tiers, endpoint="tiers", methods=["GET"])
    bp.add_url_rule("/tiers/new", view_func=tier_form, endpoint="tier_new", methods=["GET", "POST"])
    bp.add_url_rule("/tiers/<tier_id>", view_func=tier_form, endpoint="tier_edit", methods=["GET", "POST"])
    bp.add_url_rule("/tiers/<tier_id>/delete", view_func=tier_delete, endpoint="tier_delete", methods=["POST"])
