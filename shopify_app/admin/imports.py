"""Import & export page: points for past orders (a preview, then the run), balances from another app
(a file checked, then imported), and the members and ledger as CSV; the slow parts run as jobs."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated

from flask import Blueprint, Response, current_app, request, stream_with_context
from flask.typing import ResponseReturnValue
from sqlalchemy import delete
from sqlalchemy.orm import Session

from shopify_app.admin.auth import current_shop
from shopify_app.admin.pages import done, form_data, render
from shopify_app.db import get_session
from shopify_app.errors import BadRequest, Conflict, FormErrors
from shopify_app.jobs import bulk
from shopify_app.jobs.past_orders import MAX_DAYS
from shopify_app.loyalty.members import csv_export, points_import
from shopify_app.loyalty.program.inputs import Form, choice_rule, number_rule, parse_form
from shopify_app.models import BulkJob, BulkJobKind, BulkJobStatus, PointsImportFile
from shopify_app.redis_conn import get_redis

# Under the 4 MB every request may carry: about 100,000 rows of email and points.
MAX_FILE_BYTES = 3 * 1024 * 1024
FORMAT_CHOICES = (("", "Detect from the header"), ("smile", "Smile"), ("loyaltylion", "LoyaltyLion"),
                  ("generic", "Other (email, points)"))
# Rows of an export written to the response at a time.
STREAM_ROWS = 500


class PastOrdersInput(Form):
    days: Annotated[int, number_rule(maximum=MAX_DAYS)]


class PointsFileInput(Form):
    format: Annotated[str, choice_rule(*(value for value, _ in FORMAT_CHOICES))]


def import_export(*, status: int = 200, errors: dict[str, str] | None = None) -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    jobs = {kind.value: bulk.latest(session, shop.id, kind) for kind in (
        BulkJobKind.PAST_ORDERS_PREVIEW, BulkJobKind.PAST_ORDERS, BulkJobKind.POINTS_IMPORT_CHECK,
        BulkJobKind.POINTS_IMPORT)}
    return render("admin/import_export.html", status=status, errors=errors, form=form_data() if errors else {},
                  jobs=jobs, formats=FORMAT_CHOICES, max_file_bytes=MAX_FILE_BYTES, max_days=MAX_DAYS)


def preview_past_orders() -> ResponseReturnValue:
    try:
        command = parse_form(PastOrdersInput, form_data())
    except FormErrors as error:
        return import_export(status=422, errors=error.fields)
    return _start(BulkJobKind.PAST_ORDERS_PREVIEW, {"days": command.days}, "Preview started", "past-orders")


def give_past_order_points() -> ResponseReturnValue:
    """Gives what the preview the merchant saw covered: the days of that finished preview."""
    preview = _finished(request.form.get("preview_id", ""), BulkJobKind.PAST_ORDERS_PREVIEW)
    return _start(BulkJobKind.PAST_ORDERS, {"days": (preview.params or {})["days"]}, "Giving points started",
                  "past-orders")


def check_points_file() -> ResponseReturnValue:
    session, shop = get_session(), current_shop()
    try:
        command = parse_form(PointsFileInput, form_data())
        upload = request.files.get("file")
        content = _read_upload(upload.stream.read(MAX_FILE_BYTES + 1) if upload and upload.filename else None)
        points_import.read_header(next(csv.reader(io.StringIO(content)), None), command.format or None)
    except BadRequest as error:
        return import_export(status=422, errors={"file": error.detail})
    except FormErrors as error:
        return import_export(status=422, errors=error.fields)
    # A shop keeps only its latest file: an earlier one, imported or not, goes.
    session.execute(delete(PointsImportFile).where(PointsImportFile.shop_id == shop.id))
    stored = PointsImportFile(shop_id=shop.id, filename=(upload.filename or "")[:255] if upload else "",
                              format=command.format or None, content=content)
    session.add(stored)
    session.flush()
    rows = max(0, len(content.splitlines()) - 1)
    return _start(BulkJobKind.POINTS_IMPORT_CHECK, {"file_id": stored.id}, "Checking the file", "points-file",
                  total=rows)


def import_points_file() -> ResponseReturnValue:
    """Imports the file of the check the merchant saw."""
    check = _finished(request.form.get("check_id", ""), BulkJobKind.POINTS_IMPORT_CHECK)
    file_id = (check.params or {}).get("file_id", "")
    if get_session().get(PointsImportFile, file_id) is None:
        raise Conflict("That file was imported or replaced already: upload it again to check it")
    return _start(BulkJobKind.POINTS_IMPORT, {"file_id": file_id}, "Import started", "points-file",
                  total=check.total)


def _read_upload(data: bytes | None) -> str:
    if not data:
        raise BadRequest("Choose a CSV file")
    if len(data) > MAX_FILE_BYTES:
        raise BadRequest(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it and import "
                         "each part (importing a customer twice changes nothing)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The file is not UTF-8 text: export it again as CSV (UTF-8)") from None


def _finished(job_id: str, kind: BulkJobKind) -> BulkJob:
    job = bulk.get_job(get_session(), current_shop().id, job_id)  # another shop's job is a 404
    if job.kind != kind.value or job.status != BulkJobStatus.DONE.value:
        raise Conflict("That preview is not finished: wait for it, or start it again")
    return job


def _start(kind: BulkJobKind, params: dict[str, object], toast: str, anchor: str, *,
           total: int = 0) -> ResponseReturnValue:
    session = get_session()
    job = bulk.start(session, current_shop(), kind, total=total, params=params)
    session.commit()
    if not bulk.enqueue(get_redis(current_app), job):
        toast += ". The job queue cannot be reached right now; it starts as soon as it is back"
    return done("admin.import_export", toast, _anchor=anchor)


def export_members() -> ResponseReturnValue:
    return _csv_download("members", csv_export.member_rows)


def export_ledger() -> ResponseReturnValue:
    return _csv_download("ledger", csv_export.ledger_rows)


def _csv_download(name: str, rows: Callable[[Session, str], Iterable[tuple[object, ...]]]) -> ResponseReturnValue:
    shop = current_shop()
    source = rows(get_session(), shop.id)
    filename = f"{shop.domain.split('.')[0]}-{name}.csv"
    return Response(stream_with_context(_csv_chunks(source)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv_chunks(rows: Iterable[tuple[object, ...]]) -> Iterator[str]:
    """The rows as CSV text, a few hundred at a time: memory holds one chunk, never the file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % STREAM_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/import-export", view_func=import_export, endpoint="import_export", methods=["GET"])
    bp.add_url_rule("/import-export/past-orders/preview", view_func=preview_past_orders,
                    endpoint="preview_past_orders", methods=["POST"])
    bp.add_url_rule("/import-export/past-orders/give", view_func=give_past_order_points,
                    endpoint="give_past_order_points", methods=["POST"])
    bp.add_url_rule("/import-export/points/check", view_func=check_points_file, endpoint="check_points_file",
                    methods=["POST"])
    bp.add_url_rule("/import-export/points/import", view_func=import_points_file, endpoint="import_points_file",
                    methods=["POST"])
    bp.add_url_rule("/import-export/members.csv", view_func=export_members, endpoint="export_members",
                    methods=["GET"])
    bp.add_url_rule("/import-export/ledger.csv", view_func=export_ledger, endpoint="export_ledger",
                    methods=["GET"])
