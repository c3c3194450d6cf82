"""The import of a shop's existing customers: a Shopify bulk operation exports them all, its JSONL is
streamed and enrolled in batches, one transaction each, the line offset saved with each batch."""

from __future__ import annotations

import json
import time
from itertools import islice
from typing import Any, cast

from sqlalchemy import CursorResult, update

from shopify_app.clock import utcnow
from shopify_app.error_text import error_text
from shopify_app.integrations.http import Permanent
from shopify_app.integrations.shopify_bulk import BulkOperation, bulk_operation, result_lines, start_customer_export
from shopify_app.integrations.shopify_customers import customer_from_node
from shopify_app.integrations.shopify_graphql import GraphQLClient
from shopify_app.jobs import bulk, runtime
from shopify_app.jobs.destinations import shopify_client
from shopify_app.loyalty.members.enrolment import enrol_existing, entry_tier
from shopify_app.models import BulkJob, BulkJobStatus, Shop

BATCH_SIZE = 1000
# Polls of the operation: soon at first (a small shop's export takes seconds), then every 10 s.
POLL_SECONDS = (0.5, 1, 2, 5, 10)


class _Overtaken(Exception):
    """Another run of the same job saved progress this run did not expect: this run stops."""


def import_customers(bulk_job_id: str) -> None:
    """The RQ job. A restarted run reads the same operation's file from the saved offset; the unique
    constraint on (shop, Shopify id) keeps any customer from being enrolled twice regardless."""
    ctx = runtime.context()
    with ctx.sessions.begin() as session:
        job = bulk.locked(session, bulk_job_id)
        if job is None or job.status not in bulk.ACTIVE:
            return
        job.status, job.error = BulkJobStatus.RUNNING.value, None
        shop_id, operation_id, done = job.shop_id, job.operation_id, job.done
    try:
        with ctx.sessions() as session:
            client = shopify_client(ctx, session.get_one(Shop, shop_id))
        operation = _completed_operation(client, bulk_job_id, operation_id)
        if operation.id != operation_id:
            done = 0
        if operation.url is not None:
            _enrol_lines(bulk_job_id, shop_id, operation.url, done)
    except _Overtaken:
        return
    except Exception as error:
        bulk.finish(ctx.sessions(), bulk_job_id, BulkJobStatus.FAILED, error_text(error))
        raise
    bulk.finish(ctx.sessions(), bulk_job_id, BulkJobStatus.DONE, None)


def _completed_operation(client: GraphQLClient, bulk_job_id: str, operation_id: str | None) -> BulkOperation:
    """The job's operation once Shopify has finished it: the recorded one while Shopify still has it
    (running or completed), else a new one, recorded before it is waited for."""
    operation = bulk_operation(client, operation_id) if operation_id else None
    if operation is None or (operation.finished and operation.status != "COMPLETED"):
        operation_id = start_customer_export(client)
        _save(bulk_job_id, operation_id=operation_id, done=0, total=0)
        operation = None
    polls = 0
    while operation is None or not operation.finished:
        time.sleep(POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)])
        polls += 1
        operation = bulk_operation(client, str(operation_id))
        if operation is None:
            raise Permanent(f"Shopify no longer knows the bulk operation {operation_id}")
        _save(bulk_job_id, total=operation.object_count)
    if operation.status != "COMPLETED":
        raise Permanent(f"Shopify's customer export ended {operation.status} ({operation.error_code})")
    return operation


def _save(bulk_job_id: str, **values: object) -> None:
    with runtime.context().sessions.begin() as session:
        session.execute(update(BulkJob).where(BulkJob.id == bulk_job_id).values(**values))


def _enrol_lines(bulk_job_id: str, shop_id: str, url: str, done: int) -> None:
    """The file's lines after the first ``done``, a batch per transaction with the offset it reaches."""
    ctx = runtime.context()
    with ctx.sessions() as session:
        tier_id = entry_tier(session, shop_id)
    lines = islice(result_lines(ctx.http, url), done, None)
    while batch := list(islice(lines, BATCH_SIZE)):
        customers = [customer_from_node(json.loads(line)) for line in batch]
        with ctx.sessions.begin() as session:
            enrol_existing(session, session.get_one(Shop, shop_id), customers, tier_id=tier_id, now=utcnow())
            saved = session.execute(update(BulkJob).where(
                BulkJob.id == bulk_job_id, BulkJob.done == done, BulkJob.status == BulkJobStatus.RUNNING.value,
            ).values(done=done + len(batch)))
            if cast("CursorResult[Any]", saved).rowcount != 1:
                raise _Overtaken(bulk_job_id)
        done += len(batch)
