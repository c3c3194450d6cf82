"""JSON:API documents, error objects and request bodies, built in one place."""

from __future__ import annotations

import json
from typing import Any

from flask import Request, Response

from shopify_app.errors import BadRequest, UnsupportedMediaType

CONTENT_TYPE = "application/vnd.api+json"
# One compact encoder for every document: json.dumps builds a new one per call when given separators.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def resource(resource_type: str, resource_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"type": resource_type, "id": resource_id, "attributes": attributes}


def document(resource_type: str, resource_id: str, attributes: dict[str, Any], status: int = 200) -> Response:
    return respond({"data": resource(resource_type, resource_id, attributes)}, status)


def collection(resources: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"data": resources}
    if meta is not None:
        body["meta"] = meta
    return respond(body, 200)


def error_document(status: int, title: str, *details: str) -> Response:
    """One error object per detail, all of one status."""
    return respond({"errors": [{"status": str(status), "title": title, "detail": detail} for detail in details]},
                   status)


def respond(body: dict[str, Any], status: int) -> Response:
    return Response(_COMPACT.encode(body), status=status, content_type=CONTENT_TYPE)


def json_object_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object: a body said to be something other than JSON is 415, one
    sent without a Content-Type is read as JSON. A JSON:API document's ``data.attributes`` are the body."""
    require_json(request)
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    data = body.get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    return attributes if isinstance(attributes, dict) else body


def require_json(request: Request) -> None:
    """415 for a request said to be something other than JSON; none said is taken as JSON."""
    mimetype = request.mimetype
    if mimetype and not (mimetype == "application/json" or mimetype.endswith("+json")):
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json)")


def storable_text(value: str) -> bool:
    """Whether the database can hold the string. JSON carries NUL (``\\u0000``) and unpaired
    surrogates (``\\ud800``); PostgreSQL text refuses NUL, and no driver can encode a lone
    surrogate as UTF-8."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True
