"""Settings page: points expiry and name, integration keys, sync-all job, import of existing customers, API keys;
job progress."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import done, form_data, render
from shopify_app.config import loyalty_config
from shopify_app.db import get_session
from shopify_app.errors import FormErrors
from shopify_app.integrations import check
from shopify_app.integrations import settings as integration_settings
from shopify_app.jobs import bulk
from shopify_app.loyalty.program import settings as program_settings
from shopify_app.loyalty.program.inputs import Form, Text, choice_rule, parse_form
from shopify_app.models import BulkJobKind
from shopify_app.redis_conn import get_redis
from shopify_app.reporting import overview
from shopify_app.shops import api_keys


class ApiKeyInput(Form):
    key_name: Text
    access: Annotated[str, choice_rule("full", "read_only")]


def settings(*, status: int = 200, errors: dict[str, str] | None = None, **extra: Any) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    return render(
        "admin/settings.html", status=status, errors=errors, form=form_data() if errors else {},
        integrations=integration_settings.settings_by_service(session, shop.id),
        sync={item.topic: item for item in overview.sync_health(session, shop.id)},
        job=bulk.latest(session, shop.id, BulkJobKind.SYNC_ALL_MEMBERS),
        import_job=bulk.latest(session, shop.id, BulkJobKind.IMPORT_CUSTOMERS),
        keys=api_keys.shop_keys(session, shop.id), **extra,
    )


def save_program() -> ResponseReturnValue:
    try:
        command = parse_form(program_settings.SettingsInput, form_data())
        program_settings.update_settings(get_session(), current_shop(), command)
    except FormErrors as error:
        return settings(status=422, errors=error.fields)
    get_session().commit()
    return done("admin.settings", "Program settings saved")


def save_integration(service: str) -> ResponseReturnValue:
    session = get_session()
    try:
        integration_settings.save_key(
            session, current_shop(), service, request.form.get(f"{service}_api_key", ""), loyalty_config(current_app)
        )
    except FormErrors as error:
        return settings(status=422, errors={f"{service}_api_key": error.fields["api_key"]})
    session.commit()
    return done("admin.settings", f"{service.title()} key saved", _anchor="integrations")


def test_integration(service: str) -> ResponseReturnValue:
    session = get_session()
    row = integration_settings.get_setting(session, current_shop().id, service)
    ok = check.check_connection(loyalty_config(current_app), row)
    session.commit()
    toast = f"{service.title()}: {row.last_check_message}"
    return done("admin.settings", toast if ok else f"{toast} (see Integrations)", _anchor="integrations")


def disconnect_integration(service: str) -> ResponseReturnValue:
    session = get_session()
    integration_settings.disconnect(session, current_shop(), service)
    session.commit()
    return done("admin.settings", f"{service.title()} disconnected", _anchor="integrations")


def _start_job(kind: BulkJobKind, what: str, short: str, anchor: str) -> ResponseReturnValue:
    session = get_session()
    job = bulk.start(session, current_shop(), kind)
    session.commit()
    if bulk.enqueue(get_redis(current_app), job):
        return done("admin.settings", f"{what} started", _anchor=anchor)
    return done("admin.settings", f"{what} saved. The job queue cannot be reached right now; "
                f"the {short} starts as soon as it is back", _anchor=anchor)


def sync_all() -> ResponseReturnValue:
    return _start_job(BulkJobKind.SYNC_ALL_MEMBERS, "Sync of all members", "sync", "integrations")


def import_customers() -> ResponseReturnValue:
    return _start_job(BulkJobKind.IMPORT_CUSTOMERS, "Import of existing customers", "import", "existing-customers")


def create_key() -> ResponseReturnValue:
    session = get_session()
    try:
        command = parse_form(ApiKeyInput, form_data())
    except FormErrors as error:
        return settings(status=422, errors=error.fields)
    issued = api_keys.issue_key(session, current_shop(), read_only=command.access == "read_only", name=command.key_name)
    session.commit()
    # Rendered, not redirected: the raw key must never travel in a URL, and is shown this once.
    return settings(new_key=issued.raw, toast="API key created")


def revoke_key(key_id: str) -> ResponseReturnValue:
    session = get_session()
    key = api_keys.revoke(session, current_shop().id, key_id)
    session.commit()
    return done("admin.settings", f"Key {key.prefix}\u2026 revoked", _anchor="api-keys")


def job_progress(job_id: str) -> ResponseReturnValue:
    job = bulk.get_job(get_session(), current_shop().id, job_id)
    return jsonify(id=job.id, kind=job.kind, status=job.status, done=job.done, total=job.total,
                   percent=job.percent, error=job.error)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/settings", view_func=settings, endpoint="settings", methods=["GET"])
    bp.add_url_rule("/settings/program", view_func=save_program, endpoint="save_program", methods=["POST"])
    bp.add_url_rule("/settings/integrations/<service>", view_func=save_integration, endpoint="save_integration",
                    methods=["POST"])
    bp.add_url_rule("/settings/integrations/<service>/test", view_func=test_integration,
                    endpoint="test_integration", methods=["POST"])
    bp.add_url_rule("/settings/integrations/<service>/disconnect", view_func=disconnect_integration,
                    endpoint="disconnect_integration", methods=["POST"])
    bp.add_url_rule("/settings/sync-all", view_func=sync_all, endpoint="sync_all", methods=["POST"])
    bp.add_url_rule("/settings/import-customers", view_func=import_customers, endpoint="import_customers",
                    methods=["POST"])
    bp.add_url_rule("/settings/api-keys", view_func=create_key, endpoint="create_key", methods=["POST"])
    bp.add_url_rule("/settings/api-keys/<key_id>/revoke", view_func=revoke_key, endpoint="revoke_key",
                    methods=["POST"])
    bp.add_url_rule("/api/jobs/<job_id>", view_func=job_progress, endpoint="job_progress", methods=["GET"])
