"""The floor under the app's hot paths: a bare Flask app sending the award's and the member summary's
statements exactly as the app does, with nothing around them.

No API key, no proxy signature, no rate limit, no body model, no JSON:API error handling: one psycopg
connection per worker, the statement prepared, its row as JSON. ``bench/award.py --floor`` and
``bench/proxy.py --floor`` serve it under gunicorn beside the app, on the same database and paths, so
a run shows how far below the framework's own cost for the same SQL the app stands. Not the app:
nothing imports this module.

    BENCH_FLOOR_DATABASE_URL=postgresql+psycopg://... BENCH_FLOOR_SHOP=<domain> gunicorn bench.floor_app:app
"""

from __future__ import annotations

import json
import os
from typing import Any

import psycopg
from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, select
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.loyalty.earning.awards import AWARD_STATEMENTS, award_parameters
from shopify_app.loyalty.ledger.postings import with_new_row_ids
from shopify_app.loyalty.members.lookup import BY_SHOPIFY_ID
from shopify_app.loyalty.members.summary import SUMMARIES
from shopify_app.models import Shop
from shopify_app.portable_sql import DriverStatement, driver_statement

DIALECT = psycopg_dialect()
AWARD = driver_statement(AWARD_STATEMENTS[BY_SHOPIFY_ID].together, DIALECT)
SUMMARY = driver_statement(SUMMARIES[BY_SHOPIFY_ID], DIALECT)


def _shop(database_url: str, domain: str) -> Shop:
    """The shop and its settings, read once: the app keeps them per worker too."""
    engine = create_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        shop = session.scalars(select(Shop).where(Shop.domain == domain)).one()  # its settings joined
    engine.dispose()
    return shop


SHOP = _shop(os.environ["BENCH_FLOOR_DATABASE_URL"], os.environ["BENCH_FLOOR_SHOP"])
_connection: list[psycopg.Connection[Any]] = []  # the worker's, opened at its first request (after the fork)

app = Flask(__name__)


def _row(statement: DriverStatement, parameters: dict[str, Any]) -> dict[str, Any]:
    if not _connection:
        url = os.environ["BENCH_FLOOR_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _connection.append(psycopg.connect(url, autocommit=True))
    with _connection[0].cursor() as cursor:
        cursor.execute(statement.sql, statement.values(parameters), prepare=True)
        row = cursor.fetchone()
    return dict(zip(statement.names, row, strict=True)) if row else {}


@app.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@app.post("/v1/earning-rules/<rule_id>/award")
def award(rule_id: str) -> Response:
    row = _row(AWARD, with_new_row_ids(award_parameters(SHOP, rule_id, request.get_json()["customer_identifier"],
                                                         utcnow(), claimed=False)))
    return Response(json.dumps({"data": row}, default=str), 201 if row.get("id") else 409,
                    mimetype="application/vnd.api+json")


@app.get("/proxy/customer")
def customer() -> Response:
    """The logged-in shopper's summary, taking the (signed, unchecked) query's word for who it is."""
    row = _row(SUMMARY, {"shop": SHOP.id, "value": request.args["logged_in_customer_id"], "now": utcnow()})
    return Response(json.dumps({"data": row}, default=str), 200 if row else 404,
                    mimetype="application/vnd.api+json")
