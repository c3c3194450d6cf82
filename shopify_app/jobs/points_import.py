"""The admin's points file, checked (a dry run) or imported as a job: a batch of rows per transaction,
the batch's progress saved with it, and what the run found kept on the job for the page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from shopify_app.errors import NotFound
from shopify_app.jobs import bulk
from shopify_app.loyalty.members.points_import import RowOutcome, Tally, import_batches
from shopify_app.models import BulkJob, BulkJobKind, PointsImportFile, Shop

# The rows of a check shown on the page; every error is kept besides.
SHOWN_ROWS = 100


def run_points_import_job(bulk_job_id: str) -> None:
    """``points_import_check`` (nothing written) or ``points_import`` of the job's file."""

    def body(sessions: sessionmaker[Session], job: BulkJob) -> dict[str, Any]:
        dry_run = job.kind == BulkJobKind.POINTS_IMPORT_CHECK.value
        tally, shown = Tally(), list[RowOutcome]()
        with sessions() as session:
            upload = session.get(PointsImportFile, (job.params or {}).get("file_id", ""))
            if upload is None or upload.shop_id != job.shop_id:
                raise NotFound("The file is gone: upload it again")
            shop = session.get_one(Shop, job.shop_id)
            batches = import_batches(session, shop, upload.content.splitlines(), format_name=upload.format,
                                     dry_run=dry_run)
            for batch in batches:
                for row in batch:
                    tally.add(row)
                    if len(shown) < SHOWN_ROWS:
                        shown.append(row)
                if dry_run:
                    session.rollback()
                bulk.add_progress(session, job.id, len(batch))
                session.commit()  # a real run's batch, with its progress
            if not dry_run:
                # Imported: the file's emails are kept no longer than needed.
                session.execute(delete(PointsImportFile).where(PointsImportFile.id == upload.id,
                                                               PointsImportFile.shop_id == upload.shop_id))
                session.commit()
        return {"imported": tally.imported, "points": tally.points, "already_imported": tally.already_imported,
                "no_points": tally.no_points, "rows": [_row(row) for row in shown],
                "errors": [_row(row) for row in tally.errors]}

    bulk.run_tracked(bulk_job_id, body)


def _row(row: RowOutcome) -> dict[str, Any]:
    return {"line": row.line, "customer": row.customer, "points": row.points, "outcome": row.outcome, "ok": row.ok}
