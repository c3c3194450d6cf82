"""The published contract: /v1/openapi.json names every /v1 route and no other, its schemas are the models',
and /docs renders it with the bundled Redoc."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from shopify_app.config import PROJECT_ROOT

READ_METHODS = {"HEAD", "OPTIONS"}


def flask_operations(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/") and rule.rule != "/v1":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        found |= {(method.lower(), path) for method in (rule.methods or set()) - READ_METHODS}
    return found


def document_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


def test_every_v1_route_is_documented_and_nothing_else(client: FlaskClient, app: Flask) -> None:
    response = client.get("/v1/openapi.json")  # no key needed
    assert response.status_code == 200
    document = response.get_json(force=True)
    assert document["openapi"].startswith("3.1")
    assert document_operations(document) == flask_operations(app)


def test_schemas_come_from_the_models(client: FlaskClient) -> None:
    document = client.get("/v1/openapi.json").get_json(force=True)
    schemas = document["components"]["schemas"]
    assert list(schemas["CustomerAttributes"]["properties"])[:3] == ["shopify_customer_id", "email", "first_name"]
    assert "adjustment" in schemas["PointsBody"]["required"]
    refs = re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', client.get("/v1/openapi.json").get_data(
        as_text=True))
    assert set(refs) <= set(schemas)


def test_docs_render_the_bundled_redoc(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    script = re.search(r'<script src="([^"]+)"', page)
    assert script is not None and script.group(1).startswith("/static/vendor/redoc-")
    assert "://" not in page  # no CDN
    assert (PROJECT_ROOT / script.group(1).lstrip("/")).is_file()
    assert client.get(script.group(1)).status_code == 200
