"""The import of a shop's existing customers: a bulk operation on the fake Shopify, its JSONL streamed and
enrolled in batches, started after install and from Settings, resumed after a failure or a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.config import PROJECT_ROOT, Config
from shopify_app.integrations.shopify_bulk import CUSTOMERS_QUERY
from shopify_app.jobs import bulk, customer_import, queues, webhooks, worker
from shopify_app.loyalty.members.enrolment import redaction_key
from shopify_app.models import BulkJob, Customer, EarningEntry, RedactedCustomer, Shop
from shopify_app.redis_conn import get_redis
from tests import factories
from tests.admin.conftest import TokenClient, form_token_of
from tests.fakes.shopify import FIRST_EXPORTED_ID
from tests.jobs.conftest import connect_shop, work
from tests.jobs.test_real_faults import worker_env

EXPORTED = 10_000


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customer_import, "POLL_SECONDS", (0.0,))


def imported(session: Session, shop_id: str) -> list[Customer]:
    session.expire_all()
    return list(session.scalars(select(Customer).where(
        Customer.shop_id == shop_id, Customer.shopify_customer_id >= str(FIRST_EXPORTED_ID))))


def the_job(session: Session, shop_id: str) -> BulkJob:
    session.expire_all()
    return session.scalars(select(BulkJob).where(BulkJob.shop_id == shop_id, BulkJob.kind == "import_customers")).one()


def start_from_settings(app: Flask, shop: dict[str, Any]) -> Any:
    admin = TokenClient(app, shop["domain"])
    token = form_token_of(admin.get("/admin/settings").get_data(as_text=True))
    return admin.post("/admin/settings/import-customers", data={"form_token": token})


def test_the_install_set_up_imports_every_customer_once_with_no_sign_up_points(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.exported_customers = EXPORTED
    shop_row = session.get_one(Shop, shop["shop_id"])
    shop_row.installed_at = utcnow()
    # Already a member (with points), and erased by customers/redact: neither is written over.
    known = factories.customer(session, shop_row, str(FIRST_EXPORTED_ID + 1), "known@example.com", current_points=75)
    session.add(RedactedCustomer(shop_id=shop_row.id,
                                 shopify_customer_id_hash=redaction_key(shop_row.id, str(FIRST_EXPORTED_ID + 2))))
    session.commit()
    webhooks.enqueue_program_setup(get_redis(sync_app), shop["shop_id"])
    work(sync_app)

    members = imported(session, shop["shop_id"])
    assert len(members) == EXPORTED - 1
    assert len({m.shopify_customer_id for m in members}) == EXPORTED - 1
    entry_tier = shop["tiers"]["Bronze"]
    assert {m.vip_tier_id for m in members if m.id != known.id} == {entry_tier}
    assert session.scalar(select(func.count()).select_from(EarningEntry).where(
        EarningEntry.customer_id.in_([m.id for m in members if m.id != known.id]))) == 0
    assert {m.current_points for m in members} == {0, 75}
    tenth = next(m for m in members if m.shopify_customer_id == str(FIRST_EXPORTED_ID + 10))
    assert (tenth.first_name, tenth.last_name, tenth.email) == ("First10", "Last10", None)
    assert tenth.shopify_created_at is not None and tenth.shopify_created_at.year == 2025
    twelfth = next(m for m in members if m.shopify_customer_id == str(FIRST_EXPORTED_ID + 12))
    assert (twelfth.email, twelfth.email_normalized) == ("customer12@example.com", "customer12@example.com")
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.done, job.total, job.percent) == ("done", EXPORTED, EXPORTED, 100)
    assert len(fakes.shopify.bulk_operations) == 1

    # The set-up job running again (a retry, the sweep) starts no second import.
    webhooks.enqueue_program_setup(get_redis(sync_app), shop["shop_id"])
    work(sync_app)
    assert len(fakes.shopify.bulk_operations) == 1
    assert the_job(session, shop["shop_id"]).status == "done"


def failing_after(batches: int, real: Callable[..., None], seen: list[int]) -> Callable[..., None]:
    def enrol(session: Session, shop: Shop, customers: list[Any], **kwargs: Any) -> None:
        if len(seen) == batches:
            raise RuntimeError("the worker's host went away")
        seen.append(len(customers))
        real(session, shop, customers, **kwargs)
    return enrol


def test_a_failed_import_resumes_from_its_saved_offset_with_no_duplicates(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.shopify.exported_customers = EXPORTED
    seen: list[int] = []
    real = customer_import.enrol_existing
    monkeypatch.setattr(customer_import, "enrol_existing", failing_after(3, real, seen))
    assert start_from_settings(sync_app, shop).status_code == 303
    work(sync_app)
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.done, job.error) == ("failed", 3 * customer_import.BATCH_SIZE,
                                                 "RuntimeError: the worker's host went away")
    assert len(imported(session, shop["shop_id"])) == 3 * customer_import.BATCH_SIZE
    assert "Resume import" in TokenClient(sync_app, shop["domain"]).get("/admin/settings").get_data(as_text=True)

    seen.clear()
    monkeypatch.setattr(customer_import, "enrol_existing", failing_after(-1, real, seen))
    assert start_from_settings(sync_app, shop).status_code == 303
    work(sync_app)
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.done, job.total, job.error) == ("done", EXPORTED, EXPORTED, None)
    assert sum(seen) == EXPORTED - 3 * customer_import.BATCH_SIZE  # only the lines not yet enrolled
    members = imported(session, shop["shop_id"])
    assert len(members) == len({m.shopify_customer_id for m in members}) == EXPORTED
    assert len(fakes.shopify.bulk_operations) == 1  # the same export's file, read again


def test_a_worker_killed_mid_import_is_taken_up_by_the_sweep(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, app_config: Config, redis_url: str,
        redis: Redis, session: Session) -> None:
    fakes.shopify.exported_customers = EXPORTED
    fakes.shopify.stall_after_lines = 2500  # two batches are saved, then the download stalls
    assert start_from_settings(sync_app, shop).status_code == 303
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=PROJECT_ROOT,
                               env=worker_env(app_config, fakes, redis_url), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert fakes.shopify.hang_started.wait(60), "the worker never downloaded the export"
        deadline = time.monotonic() + 30
        while the_job(session, shop["shop_id"]).done < 2000 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and its scheduler, with no chance to clean up
        process.wait(10)
    fakes.shopify.stall_after_lines = None
    fakes.shopify.release.set()
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.done) == ("running", 2000)

    # Time passes: RQ finds the dead worker's job abandoned, and the scheduler's sweep takes it up.
    registry = StartedJobRegistry(queues.ADMIN, connection=redis, serializer=queues.SERIALIZER)
    registry.cleanup(timestamp=time.time() + 3600 + worker.HEARTBEAT_SLACK + 1)
    assert bulk.enqueue_waiting(session, redis, now=utcnow() + bulk.SWEEP_GRACE * 2) == 1
    work(sync_app)
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.done) == ("done", EXPORTED)
    members = imported(session, shop["shop_id"])
    assert len(members) == len({m.shopify_customer_id for m in members}) == EXPORTED
    assert len(fakes.shopify.bulk_operations) == 1


def test_the_settings_button_enqueues_one_import_and_shows_its_progress(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session, redis: Redis) -> None:
    fakes.shopify.exported_customers = 1500
    admin = TokenClient(sync_app, shop["domain"])
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Existing customers" in page and "Import existing customers" in page
    refused = admin.post("/admin/settings/import-customers", data={"form_token": ""})
    assert refused.status_code == 400
    assert session.scalar(select(func.count()).select_from(BulkJob)) == 0

    assert start_from_settings(sync_app, shop).status_code == 303
    assert start_from_settings(sync_app, shop).status_code == 303  # a second click while it waits
    job = the_job(session, shop["shop_id"])
    assert job.status == "queued"
    assert queues.queue(redis, queues.ADMIN).job_ids == [f"bulk_{job.id}"]
    assert admin.get(f"/admin/api/jobs/{job.id}").json["status"] == "queued"
    work(sync_app)
    progress = admin.get(f"/admin/api/jobs/{job.id}").json
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == ("done", 1500, 1500, 100)
    assert "100% · 1500 of 1500 · done" in admin.get("/admin/settings").get_data(as_text=True)


def test_another_shop_sees_neither_the_job_nor_the_customers(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.exported_customers = 300
    other = factories.shop(session)
    session.commit()
    connect_shop(sync_app, other.id)
    start_from_settings(sync_app, shop)
    work(sync_app)
    job = the_job(session, shop["shop_id"])
    assert TokenClient(sync_app, other.domain).get(f"/admin/api/jobs/{job.id}").status_code == 404
    assert len(imported(session, shop["shop_id"])) == 300
    assert imported(session, other.id) == []


def test_an_export_shopify_is_still_running_for_the_app_fails_clearly_then_resumes(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.exported_customers = 50
    fakes.shopify._run_bulk(CUSTOMERS_QUERY)  # an operation of the app's that nobody recorded
    start_from_settings(sync_app, shop)
    work(sync_app)
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.error) == ("failed", "RetryLater: Shopify is running another bulk query for this app")
    fakes.shopify._poll_bulk("gid://shopify/BulkOperation/1")
    fakes.shopify._poll_bulk("gid://shopify/BulkOperation/1")  # it has finished since
    start_from_settings(sync_app, shop)
    work(sync_app)
    assert the_job(session, shop["shop_id"]).status == "done"
    assert len(imported(session, shop["shop_id"])) == 50


def test_a_shop_without_customers_finishes_with_nothing_to_read(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    start_from_settings(sync_app, shop)
    work(sync_app)
    job = the_job(session, shop["shop_id"])
    assert (job.status, job.done, job.total) == ("done", 0, 0)
    assert fakes.shopify.received("GET") == []
