"""The Import & export page: past orders previewed then given, a points file checked then imported,
both as jobs on a real RQ worker; the exports streamed; another shop's jobs and data out of reach."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.admin.imports import MAX_FILE_BYTES, STREAM_ROWS
from shopify_app.devtools.demo import add_members
from shopify_app.models import BulkJob, Customer, EarningEntry, PointsImportFile, Shop
from tests import factories
from tests.admin.conftest import TokenClient
from tests.admin.test_jobs_and_integrations import run_worker
from tests.fakes.shopify import order_node
from tests.jobs.conftest import connect_shop, fakes, sync_app  # noqa: F401  (fixtures)

PAGE = "/admin/import-export"
GENERIC = ("email,points\n"
           "new@example.com,600\n"
           "nobody@example.com,5\n"
           "NEW@example.com,7\n"
           "excluded@example.com,abc\n"
           "gold@example.com,10\n")


def upload(admin: TokenClient, text: str | bytes, **fields: str) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return admin.post(f"{PAGE}/points/check", data={"file": (io.BytesIO(data), "points.csv"), "format": "",
                                                     **fields}, content_type="multipart/form-data")


def latest(session: Session, kind: str) -> BulkJob:
    session.expire_all()
    return session.scalars(select(BulkJob).where(BulkJob.kind == kind).order_by(BulkJob.created_at.desc())).first()


def opening_balances(session: Session) -> list[tuple[str, int]]:
    session.expire_all()
    return sorted((e.customer.shopify_customer_id, e.points) for e in session.scalars(
        select(EarningEntry).where(EarningEntry.source == "opening_balance")))


def test_the_page_is_in_the_navigation_with_its_three_parts(admin: TokenClient) -> None:
    page = admin.get(PAGE)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/admin/import-export"' in admin.get("/admin/").get_data(as_text=True)
    for heading in ("Points for past orders", "Points from another app", "Export"):
        assert f'heading="{heading}"' in text
    assert 'enctype="multipart/form-data"' in text and 'name="form_token"' in text


def test_past_orders_are_previewed_then_given_once(sync_app: Flask, fakes: SimpleNamespace,  # noqa: F811
                                                   demo_shop: dict[str, Any], session: Session, redis) -> None:
    connect_shop(sync_app, demo_shop["shop_id"])
    fakes.shopify.orders = [order_node("9201", "#9201", "100.00", "8.00", ("1001", "gold@example.com", "G", "M")),
                            order_node("9202", "#9202", "50.00", "4.00", ("1002", "new@example.com", "N", "M"))]
    admin = TokenClient(sync_app, demo_shop["domain"])
    entries_before = session.scalar(select(func.count()).select_from(EarningEntry))

    assert admin.post(f"{PAGE}/past-orders/preview", data={"days": "30"}).status_code == 303
    run_worker(sync_app, redis)
    preview = latest(session, "past_orders_preview")
    # Goldie (Gold, x1.5) 150 for 100.00; the new member 50 for 50.00.
    assert (preview.status, preview.result) == ("done", {"days": 30, "orders": 2, "members": 2, "points": 200})
    assert session.scalar(select(func.count()).select_from(EarningEntry)) == entries_before  # nothing given
    page = admin.get(PAGE).get_data(as_text=True)
    assert "2 orders; <span data-members>2</span> members would get <span data-points>200</span> points" in page

    form = {"preview_id": preview.id, "form_token": "give-once"}
    assert admin.post(f"{PAGE}/past-orders/give", data=form).status_code == 303
    assert admin.post(f"{PAGE}/past-orders/give", data=form).status_code == 409  # a double click
    assert session.scalar(select(func.count()).select_from(BulkJob).where(BulkJob.kind == "past_orders")) == 1
    run_worker(sync_app, redis)
    given = latest(session, "past_orders")
    assert given.result == preview.result
    issued = session.scalar(select(func.sum(EarningEntry.points)).where(EarningEntry.order_id.in_(["9201", "9202"])))
    assert issued == 200
    # The same preview given again, from a fresh form: nothing is counted twice.
    assert admin.post(f"{PAGE}/past-orders/give", data={"preview_id": preview.id}).status_code == 303
    run_worker(sync_app, redis)
    assert latest(session, "past_orders").result == {"days": 30, "orders": 2, "members": 0, "points": 0}
    assert session.scalar(select(func.sum(EarningEntry.points)).where(
        EarningEntry.order_id.in_(["9201", "9202"]))) == 200


def test_days_out_of_range_and_unfinished_previews_are_refused(admin: TokenClient, session: Session) -> None:
    for days, message in (("366", "Enter a number from 0 to 365"), ("ten", "Enter a whole number")):
        refused = admin.post(f"{PAGE}/past-orders/preview", data={"days": days})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(BulkJob)) == 0
    assert admin.post(f"{PAGE}/past-orders/preview", data={"days": "0"}).status_code == 303
    waiting = latest(session, "past_orders_preview")
    assert admin.post(f"{PAGE}/past-orders/give", data={"preview_id": waiting.id}).status_code == 409


def test_a_points_file_is_checked_by_line_then_imported_once(app: Flask, admin: TokenClient, session: Session,
                                                             redis) -> None:
    before = opening_balances(session)
    assert upload(admin, GENERIC).status_code == 303
    run_worker(app, redis)
    check = latest(session, "points_import_check")
    assert (check.status, check.done, check.total) == ("done", 5, 5)
    assert [(e["line"], e["outcome"]) for e in check.result["errors"]] == [
        (3, "unknown customer: nobody@example.com"), (4, "duplicate row: the customer is on line 2"),
        (5, "bad number of points: abc")]
    assert opening_balances(session) == before  # a check writes nothing
    page = admin.get(PAGE).get_data(as_text=True)
    assert "<span data-imported>1</span> balances added (600 points); 1 already imported" in page
    assert "Unknown customer: nobody@example.com" in page and "Line 1 is the header" in page

    form = {"check_id": check.id, "form_token": "import-once"}
    assert admin.post(f"{PAGE}/points/import", data=form).status_code == 303
    assert admin.post(f"{PAGE}/points/import", data=form).status_code == 409  # a double click
    run_worker(app, redis)
    imported = latest(session, "points_import")
    assert (imported.status, imported.result["imported"], imported.result["points"]) == ("done", 1, 600)
    assert opening_balances(session) == [("1001", 1200), ("1002", 600)]
    assert session.scalar(select(func.count()).select_from(PointsImportFile)) == 0  # kept no longer than needed
    # The check's file is gone: importing it again asks for the file again.
    assert admin.post(f"{PAGE}/points/import", data={"check_id": check.id}).status_code == 409

    # The same file again: checked as already imported, and importing it changes nothing.
    upload(admin, GENERIC)
    run_worker(app, redis)
    again = latest(session, "points_import_check")
    assert (again.result["imported"], again.result["already_imported"]) == (0, 2)
    assert "Import</" not in admin.get(PAGE).get_data(as_text=True).split('id="points-check"')[1]
    assert opening_balances(session) == [("1001", 1200), ("1002", 600)]


def test_bad_files_are_refused_with_a_clear_error(admin: TokenClient, session: Session) -> None:
    cases = [
        (b"", "Choose a CSV file"),
        ("name,balance\nAnn,5\n", "none of Smile&#39;s"),
        (b"email,points\n" + b"x" * MAX_FILE_BYTES, "The file is larger than 3 MB"),
        ("email,points\nj\xf6rg@example.com,5\n".encode("latin-1"), "not UTF-8 text"),
    ]
    for content, message in cases:
        refused = upload(admin, content)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), message
    wrong = upload(admin, "email,points\nnew@example.com,5\n", format="smile")
    assert wrong.status_code == 422 and "no customer email, points balance column" in wrong.get_data(as_text=True)
    assert upload(admin, "email,points\n", format="sage").status_code == 422
    assert session.scalar(select(func.count()).select_from(PointsImportFile)) == 0
    assert session.scalar(select(func.count()).select_from(BulkJob)) == 0


def test_another_shops_jobs_and_members_are_out_of_reach(app: Flask, admin: TokenClient, session: Session,
                                                         redis, demo_shop: dict[str, Any]) -> None:
    other = factories.shop(session, "other-shop.myshopify.com")
    factories.customer(session, other, "777", "mine@other.example")
    session.commit()
    intruder = TokenClient(app, "other-shop.myshopify.com")
    admin.post(f"{PAGE}/past-orders/preview", data={"days": "0"})
    upload(admin, GENERIC)
    run_worker(app, redis)
    preview, check = latest(session, "past_orders_preview"), latest(session, "points_import_check")
    assert intruder.post(f"{PAGE}/past-orders/give", data={"preview_id": preview.id}).status_code == 404
    assert intruder.post(f"{PAGE}/points/import", data={"check_id": check.id}).status_code == 404
    assert intruder.get(f"/admin/api/jobs/{check.id}").status_code == 404
    assert "new@example.com" not in intruder.get(PAGE).get_data(as_text=True)
    members = intruder.get(f"{PAGE}/members.csv").get_data(as_text=True)
    assert "mine@other.example" in members and "gold@example.com" not in members
    assert intruder.get(f"{PAGE}/ledger.csv").get_data(as_text=True).count("\n") == 1  # the header only
    # An upload of the other shop's member to this shop names no one known here.
    intruder_file = upload(intruder, "email,points\ngold@example.com,5\n")
    assert intruder_file.status_code == 303
    run_worker(app, redis)
    session.expire_all()
    theirs = session.scalars(select(BulkJob).where(BulkJob.shop_id == other.id,
                                                   BulkJob.kind == "points_import_check")).one()
    assert theirs.result["errors"][0]["outcome"] == "unknown customer: gold@example.com"


def test_exports_are_streamed_a_chunk_at_a_time(admin: TokenClient, session: Session,
                                                demo_shop: dict[str, Any]) -> None:
    add_members(session, session.get_one(Shop, demo_shop["shop_id"]), 1200)
    session.commit()
    members = admin.get(f"{PAGE}/members.csv", buffered=False)
    assert members.status_code == 200 and members.mimetype == "text/csv" and members.is_streamed
    assert members.headers["Content-Disposition"] == 'attachment; filename="demo-loyalty-members.csv"'
    chunks = list(members.response)
    assert len(chunks[0].splitlines()) == STREAM_ROWS  # the response never held the whole file
    lines = b"".join(chunks).decode().splitlines()
    assert lines[0].startswith("shopify_customer_id,email") and len(lines) == 1 + 1203
    assert session.scalar(select(func.count()).select_from(Customer)) == 1203
    ledger = admin.get(f"{PAGE}/ledger.csv").get_data(as_text=True).splitlines()
    assert ledger[0].startswith("entry_id,created_at") and len(ledger) > 1
