"""The published contract: an OpenAPI 3.1 document of /v1 built from the request and resource models,
served at /v1/openapi.json, and rendered at /docs by the bundled Redoc (no CDN)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shopify_app.api.customers import EnrolBody, PointsBody, UpdateCustomerBody
from shopify_app.api.earning_rules import AwardBody
from shopify_app.api.rewards import HISTORY_SORTS, HISTORY_STATUSES, REWARD_SORTS, REWARD_TYPES, PurchaseBody
from shopify_app.web import listing
from shopify_app.web import resources as r
from shopify_app.web.jsonapi import CONTENT_TYPE

REDOC = "vendor/redoc-3.0.1/redoc.standalone.js"
IDENTIFIER = {"name": "identifier", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "Shopify customer id (digits or GID) or email, any letter case"}


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"},
            "description": description}


def _sort(names: list[str]) -> dict[str, Any]:
    return _query("sort", "one of these, '-' first for descending; default -created_at",
                  {"type": "string", "enum": [p + n for n in names for p in ("", "-")]})


PAGE = [
    _query("page[number]", "page, from 1",
           {"type": "integer", "minimum": 1, "maximum": listing.MAX_PAGE_NUMBER, "default": 1}),
    _query("page[size]", f"entries a page, 1 to {listing.MAX_PAGE_SIZE}",
           {"type": "integer", "minimum": 1, "maximum": listing.MAX_PAGE_SIZE, "default": listing.DEFAULT_PAGE_SIZE}),
]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
               "description": "Replays the first response to the same key for 24 hours"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    resource: type[r.Attributes] | None
    list_of: bool = False
    paginated: bool = False
    body: type[BaseModel] | None = None
    success: int = 200
    also: tuple[int, ...] = ()  # statuses besides the success and the common ones
    parameters: list[dict[str, Any]] = field(default_factory=list)


OPERATIONS = [
    Operation("get", "/v1/customers", "List customers", r.CustomerAttributes, list_of=True, paginated=True,
              parameters=[_query("filter[email]", "part of the email, any case"),
                          _query("filter[loyalty_status]", "member or excluded",
                                 {"type": "string", "enum": ["member", "excluded"]}),
                          _sort(["created_at", "points", "lifetime_points", "redeemed_points"]), *PAGE]),
    Operation("post", "/v1/customers", "Enrol a Shopify customer (200 when enrolled already)", r.CustomerAttributes,
              body=EnrolBody, success=201, also=(200, 404, 503)),
    Operation("get", "/v1/customers/{identifier}", "Retrieve a customer", r.CustomerAttributes, also=(404,),
              parameters=[IDENTIFIER, _query("exclude_vip", "true: vip_tier is null",
                                             {"type": "string", "enum": ["true", "false"]})]),
    Operation("put", "/v1/customers/{identifier}", "Update a customer's editable fields", r.CustomerAttributes,
              body=UpdateCustomerBody, also=(404,), parameters=[IDENTIFIER]),
    Operation("get", "/v1/customers/{identifier}/birthday", "A customer's date of birth",
              r.CustomerBirthdayAttributes, also=(404,), parameters=[IDENTIFIER]),
    Operation("get", "/v1/customers/{identifier}/anniversary", "A customer's anniversary",
              r.CustomerAnniversaryAttributes, also=(404,), parameters=[IDENTIFIER]),
    Operation("post", "/v1/customers/{identifier}/points", "Adjust a customer's points (the balance floors at 0)",
              r.PointsAdjustmentAttributes, body=PointsBody, also=(404,), parameters=[IDENTIFIER]),
    Operation("get", "/v1/customers/{identifier}/earning-history", "A customer's earning history",
              r.EarningHistoryEntryAttributes, list_of=True, paginated=True, also=(404,),
              parameters=[IDENTIFIER, _query("filter[status]", "pending, approved or rejected",
                                             {"type": "string", "enum": ["pending", "approved", "rejected"]}),
                          _sort(["created_at", "points", "points_given_at"]), *PAGE]),
    Operation("post", "/v1/earning-history/{entry_id}/approve", "Approve a pending entry",
              r.EarningHistoryEntryAttributes, also=(404, 409), parameters=[_path_param("entry_id")]),
    Operation("post", "/v1/earning-history/{entry_id}/reject", "Reject a pending entry",
              r.EarningHistoryEntryAttributes, also=(404, 409), parameters=[_path_param("entry_id")]),
    Operation("get", "/v1/earning-rules", "List earning rules", r.EarningRuleAttributes, list_of=True,
              paginated=True, parameters=[_query("filter[is_active]", "true or false",
                                                 {"type": "string", "enum": ["true", "false"]}),
                                          _sort(["created_at", "name"]), *PAGE]),
    Operation("get", "/v1/earning-rules/{rule_id}", "Retrieve an earning rule", r.EarningRuleAttributes,
              also=(404,), parameters=[_path_param("rule_id")]),
    Operation("post", "/v1/earning-rules/{rule_id}/award", "Award a social or engagement rule to a customer",
              r.AwardedEntryAttributes, body=AwardBody, success=201, also=(404, 409),
              parameters=[_path_param("rule_id")]),
    Operation("get", "/v1/vip-tiers", "List VIP tiers by points required, each with its rewards (not paginated)",
              r.VipTierAttributes, list_of=True),
    Operation("get", "/v1/activity", "The shop's activity, newest first", r.ActivityAttributes, list_of=True,
              paginated=True, also=(404,), parameters=[_query("filter[customer]", "a customer's identifier"),
                                          _query("filter[kind]", "one kind of event"),
                                          _query("filter[since]", "an ISO 8601 time", {"type": "string"}),
                                          _query("sort", "newest first", {"type": "string",
                                                                          "enum": ["-occurred_at", "occurred_at"]}),
                                          *PAGE]),
    Operation("get", "/v1/rewards", "List rewards (deleted ones are not listed)", r.RewardAttributes, list_of=True,
              paginated=True, parameters=[_query("filter[is_active]", "true or false",
                                                 {"type": "string", "enum": ["true", "false"]}),
                                          _query("filter[reward_type]", "discount, or tier for a VIP tier's reward",
                                                 {"type": "string", "enum": list(REWARD_TYPES)}),
                                          _sort(list(REWARD_SORTS)), *PAGE]),
    Operation("get", "/v1/rewards/{reward_id}", "Retrieve a reward (an inactive one too; 404 once deleted)",
              r.RewardAttributes, also=(404,), parameters=[_path_param("reward_id")]),
    Operation("get", "/v1/customers/{identifier}/reward-history", "A customer's reward codes",
              r.RewardHistoryEntryAttributes, list_of=True, paginated=True, also=(404,),
              parameters=[IDENTIFIER, _query("filter[status]", ", ".join(HISTORY_STATUSES),
                                             {"type": "string", "enum": list(HISTORY_STATUSES)}),
                          _sort(list(HISTORY_SORTS)), *PAGE]),
    Operation("post", "/v1/rewards/{reward_id}/purchase",
              "Spend a customer's points on a reward's discount code ('points' for a per-point reward only)",
              r.RewardHistoryEntryAttributes, body=PurchaseBody, success=201, also=(404,),
              parameters=[_path_param("reward_id")]),
    Operation("post", "/v1/reward-history/{redemption_id}/refund",
              "Refund an active code: deleted in Shopify, the points back to the lots they came from",
              r.RewardHistoryEntryAttributes, also=(404, 409), parameters=[_path_param("redemption_id")]),
]
COMMON_ERRORS = {400: "Bad request", 401: "Missing or invalid API key", 429: "Over the rate limit"}
WRITE_ERRORS = {403: "Read-only key, or the customer is excluded",
                409: "The Idempotency-Key's first request is still running", 415: "The body is not JSON",
                422: "The Idempotency-Key was used for another request"}
ERROR_SCHEMA = {"type": "object", "required": ["errors"], "properties": {"errors": {"type": "array", "items": {
    "type": "object", "required": ["status", "title", "detail"],
    "properties": {"status": {"type": "string"}, "title": {"type": "string"}, "detail": {"type": "string"}}}}}}
META_SCHEMA = {"type": "object", "required": ["total", "page", "per_page", "total_pages"],
               "properties": {name: {"type": "integer"} for name in ("total", "page", "per_page", "total_pages")}}


def _resource_schema(model: type[r.Attributes]) -> dict[str, Any]:
    return {"type": "object", "required": ["type", "id", "attributes"], "properties": {
        "type": {"const": r.RESOURCE_TYPES[model]}, "id": {"type": "string"},
        "attributes": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _response(op: Operation) -> dict[str, Any]:
    assert op.resource is not None
    item = _resource_schema(op.resource)
    if not op.list_of:
        schema: dict[str, Any] = {"type": "object", "required": ["data"], "properties": {"data": item}}
    else:
        schema = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": item}}}
        if op.paginated:
            schema["required"].append("meta")
            schema["properties"]["meta"] = META_SCHEMA
    return {"description": op.summary, "content": {CONTENT_TYPE: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Errors"}}}}


def _operation(op: Operation) -> dict[str, Any]:
    writes = op.method in ("post", "put")
    responses: dict[str, Any] = {str(op.success): _response(op)}
    for status in op.also:
        responses.setdefault(str(status), _response(op) if status < 300 else _error("See the detail"))
    for status, description in {**COMMON_ERRORS, **(WRITE_ERRORS if writes else {})}.items():
        responses.setdefault(str(status), _error(description))
    if writes:
        responses.setdefault("503", _error("Shopify could not be reached"))
    document: dict[str, Any] = {"summary": op.summary, "operationId": f"{op.method}{op.path}",
                                "parameters": op.parameters + ([IDEMPOTENCY] if writes else []),
                                "responses": responses}
    if op.body is not None:
        ref = {"$ref": f"#/components/schemas/{op.body.__name__}"}
        document["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref},
                                                                 CONTENT_TYPE: {"schema": ref}}}
    return document


@functools.cache
def openapi_document() -> dict[str, Any]:
    bodies: list[type[BaseModel]] = [EnrolBody, UpdateCustomerBody, PointsBody, AwardBody, PurchaseBody]
    models: list[type[BaseModel]] = [*r.RESOURCE_TYPES, *bodies]
    _, definitions = models_json_schema([(m, "serialization" if issubclass(m, r.Attributes) else "validation")
                                         for m in models], ref_template="#/components/schemas/{model}")
    schemas = {**definitions.get("$defs", {}), "Errors": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    paths["/v1/openapi.json"] = {"get": {"summary": "This document", "operationId": "get/v1/openapi.json",
                                         "security": [], "responses": {"200": {"description": "OpenAPI 3.1",
                                                                               "content": {"application/json": {}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Loyalty API", "version": "1",
                 "description": "Mage-compatible loyalty API: JSON:API documents, a sliding-window rate limit per "
                                "key (RateLimit headers on every answer), Idempotency-Key on every POST and PUT."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "components": {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}},
                       "schemas": schemas},
        "paths": paths,
    }


def openapi_json() -> ResponseReturnValue:
    return Response(json.dumps(openapi_document()), content_type="application/json")


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loyalty API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="{spec}"></redoc><script src="{script}"></script></body></html>
"""


def docs() -> ResponseReturnValue:
    page = DOCS_PAGE.format(spec=url_for("api_docs.openapi_json"), script=url_for("static", filename=REDOC))
    return Response(page, content_type="text/html; charset=utf-8")


bp = Blueprint("api_docs", __name__)
bp.add_url_rule("/v1/openapi.json", view_func=openapi_json, methods=["GET"])
bp.add_url_rule("/docs", view_func=docs, methods=["GET"])


def register(app: Flask) -> None:
    app.register_blueprint(bp)
