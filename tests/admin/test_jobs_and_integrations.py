"""Bulk jobs on a real RQ worker (sync all members, tier recompute) and integration keys."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import unquote_plus

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shopify_app.config import Config
from shopify_app.crypto import decrypt
from shopify_app.devtools.demo import add_members
from shopify_app.jobs.bulk import admin_queue
from shopify_app.models import BulkJob, Customer, IntegrationSetting, OutboxMessage, Shop, VipTier
from tests.admin.conftest import TokenClient


def run_worker(app: Flask, redis) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        queue = admin_queue(redis)
        SimpleWorker([queue], connection=redis, serializer=queue.serializer).work(burst=True)


def test_sync_all_members_runs_in_the_background_and_reports_progress(app, admin: TokenClient, session: Session,
                                                                      demo_shop, redis) -> None:
    add_members(session, session.get(Shop, demo_shop["shop_id"]), 1200)
    session.commit()
    started = admin.post("/admin/settings/sync-all")
    assert started.status_code == 303
    job = session.scalars(select(BulkJob)).one()
    assert (job.status, job.total, job.done) == ("queued", 1202, 0)  # the excluded demo customer is left out
    assert admin.get(f"/admin/api/jobs/{job.id}").json["percent"] == 0
    # A second click while the job waits does not start another.
    admin.post("/admin/settings/sync-all")
    assert session.scalar(select(func.count()).select_from(BulkJob)) == 1
    run_worker(app, redis)
    progress = admin.get(f"/admin/api/jobs/{job.id}").json
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == ("done", 1202, 1202, 100)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1202 * 4
    assert "100% · 1202 of 1202 · done" in admin.get("/admin/settings").get_data(as_text=True)


def test_a_threshold_change_recomputes_tiers_in_the_background(app, admin: TokenClient, session: Session,
                                                               demo_shop, redis) -> None:
    gold = demo_shop["tiers"]["Gold"]
    form = {"name": "Gold", "points_required": "1500", "points_multiplier": "1.5", "badge_color": "#d4af37"}
    taken = admin.post(f"/admin/tiers/{gold}", data={**form, "points_required": "500"})
    assert taken.status_code == 422 and "Another tier already starts" in taken.get_data(as_text=True)
    assert admin.post(f"/admin/tiers/{gold}", data=form).status_code == 303
    goldie = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    assert goldie.vip_tier_id == gold  # not yet: the job has not run
    run_worker(app, redis)
    session.refresh(goldie)
    assert goldie.vip_tier_id == demo_shop["tiers"]["Silver"]
    job = session.scalars(select(BulkJob)).one()
    assert (job.kind, job.status, job.done, job.total) == ("recompute_tiers", "done", 3, 3)
    topics = list(session.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.topic)))
    # Only Goldie moved (one row per destination), and the shop's program metafield is rewritten.
    assert topics == ["klaviyo", "omnisend", "postscript", "shopify.customer_metafield", "shopify.shop_metafield"]
    # Renaming a tier moves no threshold and starts no job.
    admin.post(f"/admin/tiers/{gold}", data={**form, "name": "Golden"})
    assert session.scalar(select(func.count()).select_from(BulkJob)) == 1
    assert admin.post(f"/admin/tiers/{demo_shop['tiers']['Silver']}/delete").status_code == 303
    run_worker(app, redis)
    session.refresh(goldie)
    assert goldie.vip_tier_id == demo_shop["tiers"]["Bronze"]
    assert session.scalar(select(func.count()).select_from(VipTier)) == 2


@pytest.fixture
def fake_klaviyo() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    @Request.application
    def application(request: Request) -> Response:
        seen.append({"path": request.path, "auth": request.headers.get("Authorization", ""),
                     "revision": request.headers.get("revision", "")})
        ok = request.headers.get("Authorization") == "Klaviyo-API-Key pk_right_key"
        return Response(json.dumps({"data": []}), status=200 if ok else 401, mimetype="application/json")

    server = make_server("127.0.0.1", 0, application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


def test_integration_keys_are_write_only_and_tested_against_the_service(
    app, admin: TokenClient, session: Session, demo_shop, fake_klaviyo, monkeypatch
) -> None:
    url, seen = fake_klaviyo
    config: Config = app.config["LOYALTY"]
    monkeypatch.setitem(app.config, "LOYALTY", Config(**{**config.__dict__, "klaviyo_api_url": url}))
    assert admin.post("/admin/settings/integrations/klaviyo", data={"klaviyo_api_key": "short"}).status_code == 422
    assert admin.post("/admin/settings/integrations/klaviyo", data={"klaviyo_api_key": "pk_wrong_key"}
                      ).status_code == 303
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "pk_wrong_key" not in page and "ending in …_key" in page
    row = session.scalars(select(IntegrationSetting)).one()
    assert "pk_wrong_key" not in row.api_key_ciphertext
    assert decrypt(row.api_key_ciphertext, config) == "pk_wrong_key"
    refused = admin.post("/admin/settings/integrations/klaviyo/test")
    assert "The key was refused (HTTP 401)" in unquote_plus(refused.headers["Location"])
    admin.post("/admin/settings/integrations/klaviyo", data={"klaviyo_api_key": "pk_right_key"})
    admin.post("/admin/settings/integrations/klaviyo/test")
    assert "Connected" in admin.get("/admin/settings").get_data(as_text=True)
    assert seen[-1] == {"path": "/api/accounts/", "auth": "Klaviyo-API-Key pk_right_key", "revision": "2026-07-15"}
    assert admin.post("/admin/settings/integrations/omnisend/test").status_code == 404
    assert admin.post("/admin/settings/integrations/mailchimp", data={"mailchimp_api_key": "x" * 20}
                      ).status_code == 404
