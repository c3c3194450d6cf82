"""Fake Shopify: the GraphQL Admin API with a cost-based leaky bucket, bulk query operations whose JSONL
result it serves, and the OAuth token endpoint (token exchange and refresh).

It answers as API version 2026-10 will for the fields the app may ask: ``Customer.email`` is deprecated
there (``defaultEmailAddress { emailAddress }`` replaces it), so a document selecting it is refused
with the error a version that dropped it gives, and a deprecated field cannot creep back in."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

from shopify_app.config import SHOPIFY_SCOPES
from tests.fakes.server import FakeServer, Recorded, json_response

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
# A customer selection naming `email` itself (not defaultEmailAddress { emailAddress }).
CUSTOMER_EMAIL_FIELD = re.compile(r"\bcustomer\s*\{[^}]*\bemail\b")
MUTATION_COST = 10
DISCOUNT_MUTATIONS = ("discountCodeBasicCreate", "discountCodeFreeShippingCreate", "discountCodeDelete")
QUERY_COST = 1
BULK_RUNNING = ("CREATED", "RUNNING")
# The Shopify id of the first customer a bulk export lists; the next ones follow.
FIRST_EXPORTED_ID = 8_000_000_001


class FakeShopify(FakeServer):
    """Answers THROTTLED with HTTP 200 when the bucket lacks the requested cost, as Shopify does.

    Access tokens are checked; each refresh issues a new pair and retires the refresh token used."""

    def __init__(self, *, maximum: float = 2000, restore_rate: float = 100, access_token: str = "shpat_0",
                 shop_id: str = "1", iana_timezone: str = "America/Toronto", port: int = 0) -> None:
        super().__init__(port)
        self.shop_id = shop_id  # what `shop { id }` answers, as gid://shopify/Shop/<shop_id>
        self.iana_timezone = iana_timezone  # what `shop { ianaTimezone }` answers
        self.maximum, self.restore_rate = maximum, restore_rate
        self.available, self.updated = maximum, time.monotonic()
        self.bucket_lock = threading.Lock()
        self.valid_tokens = {access_token}
        self.live_refresh_token = "shprt_0"
        self.refreshes = 0
        self.exchanges = 0
        self.orders: list[dict[str, Any]] = []
        self.collections: dict[str, list[str]] = {}  # collection id -> its product ids, in pages of `first`
        self.throttled = 0
        self.metafields: dict[tuple[str, str], Any] = {}
        self.writes: list[dict[str, Any]] = []  # metafieldsSet inputs, in order
        self.spent = 0.0
        self.discounts: dict[str, dict[str, Any]] = {}  # by code: the mutation's input, its kind and id
        self.discounts_made = 0
        self.refuse_discounts = False  # every discount mutation answers with a userError
        self.discount_delay = 0.0  # seconds each discount mutation takes, as Shopify's do
        self.customers: dict[str, dict[str, Any]] = {}  # what `customer(id:)` answers, by GID
        self.exported_customers = 0  # how many customers a bulk export lists (``exported_customer``)
        self.bulk_polls = 2  # polls of an operation (node(id:)) before it is COMPLETED
        self.bulk_operations: dict[str, dict[str, Any]] = {}  # by gid: status, polls, count, query
        self.stall_after_lines: int | None = None  # a result download stops there until `release`

    def graphql_path(self, version: str = "2026-10") -> str:
        return f"/admin/api/{version}/graphql.json"

    def handle(self, request: Recorded) -> Response:
        if request.path == "/admin/oauth/access_token":
            return self._token(request.json)
        if request.path.startswith("/admin/api/") and request.path.endswith("/graphql.json"):
            return self._graphql(request)
        if request.path.startswith("/bulk/") and request.path.rsplit("/", 1)[-1].removesuffix(".jsonl") in {
                gid.rsplit("/", 1)[-1] for gid in self.bulk_operations}:
            return Response(self._jsonl(), content_type="application/jsonl")
        return json_response({"errors": "Not Found"}, 404)

    def _token(self, body: dict[str, str]) -> Response:
        with self.bucket_lock:
            if body.get("grant_type") == TOKEN_EXCHANGE:
                # A new expiring offline token retires every earlier refresh token of the shop.
                if body.get("expiring") != "1" or not body.get("subject_token"):
                    return json_response({"error": "invalid_request"}, 400)
                self.exchanges += 1
                self.refreshes += 1
                self.live_refresh_token = f"shprt_{self.refreshes}"
                access = f"shpat_{self.refreshes}"
                self.valid_tokens.add(access)
                return json_response({"access_token": access, "scope": SHOPIFY_SCOPES, "expires_in": 3600,
                                      "refresh_token": self.live_refresh_token,
                                      "refresh_token_expires_in": 7776000})
            if body.get("refresh_token") != self.live_refresh_token:
                return json_response({"error": "invalid_grant"}, 400)
            self.refreshes += 1
            self.live_refresh_token = f"shprt_{self.refreshes}"
            access = f"shpat_{self.refreshes}"
            self.valid_tokens.add(access)
        return json_response({"access_token": access, "scope": "write_customers", "expires_in": 3600,
                              "refresh_token": self.live_refresh_token, "refresh_token_expires_in": 7776000})

    def _cost(self, requested: float) -> tuple[bool, dict[str, Any]]:
        with self.bucket_lock:
            now = time.monotonic()
            self.available = min(self.maximum, self.available + (now - self.updated) * self.restore_rate)
            self.updated = now
            allowed = self.available >= requested
            if allowed:
                self.available -= requested
                self.spent += requested
            else:
                self.throttled += 1
            return allowed, {"requestedQueryCost": requested, "actualQueryCost": requested if allowed else None,
                             "throttleStatus": {"maximumAvailable": self.maximum,
                                                "currentlyAvailable": int(self.available),
                                                "restoreRate": self.restore_rate}}

    def _graphql(self, request: Recorded) -> Response:
        if request.headers.get("X-Shopify-Access-Token") not in self.valid_tokens:
            return json_response({"errors": "[API] Invalid API key or access token"}, 401)
        query = request.json["query"]
        if CUSTOMER_EMAIL_FIELD.search(query):
            return json_response({"errors": [{"message": "Field 'email' doesn't exist on type 'Customer'",
                                              "extensions": {"code": "undefinedField", "typeName": "Customer",
                                                             "fieldName": "email"}}]})
        mutation = query.lstrip().startswith("mutation")
        allowed, cost = self._cost(MUTATION_COST if mutation else QUERY_COST)
        if not allowed:
            return json_response({"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": cost}})
        variables = request.json.get("variables") or {}
        if "codeDiscountNodeByCode" in query:
            with self.bucket_lock:
                found = self.discounts.get(variables["code"])
            node = {"id": found["id"]} if found else None
            return json_response({"data": {"codeDiscountNodeByCode": node}, "extensions": {"cost": cost}})
        if "bulkOperationRunQuery" in query:
            return json_response({"data": {"bulkOperationRunQuery": self._run_bulk(variables["query"])},
                                  "extensions": {"cost": cost}})
        if "node(id:" in query:
            return json_response({"data": {"node": self._poll_bulk(variables["id"])}, "extensions": {"cost": cost}})
        for field in DISCOUNT_MUTATIONS:
            if field in query:
                return json_response({"data": {field: self._discount(field, variables)}, "extensions": {"cost": cost}})
        if not mutation:
            data: dict[str, Any] = {"shop": {"id": f"gid://shopify/Shop/{self.shop_id}",
                                             "ianaTimezone": self.iana_timezone}}
            if "customer(id:" in query:  # a customer read by id; null when the test put none there
                data = {"customer": self.customers.get(request.json["variables"]["id"])}
            if "orders(" in query:  # reconciliation: the orders the test put here, on one page
                data = {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": self.orders}}
            elif "collection(" in query:
                data = {"collection": self._collection(request.json["variables"])}
            return json_response({"data": data, "extensions": {"cost": cost}})
        return json_response({"data": {"metafieldsSet": self._set(request.json["variables"]["metafields"])},
                              "extensions": {"cost": cost}})

    def _discount(self, field: str, variables: dict[str, Any]) -> dict[str, Any]:
        """A code discount made, or deleted: codes are unique in the shop, as Shopify has them."""
        time.sleep(self.discount_delay)
        if self.refuse_discounts:
            return {"userErrors": [{"field": None, "code": "INTERNAL_ERROR", "message": "Refused"}]}
        with self.bucket_lock:
            if field == "discountCodeDelete":
                code = next((c for c, d in self.discounts.items() if d["id"] == variables["id"]), None)
                if code is None:
                    return {"deletedCodeDiscountId": None, "userErrors": [
                        {"field": ["id"], "code": "INVALID", "message": "Discount does not exist"}]}
                del self.discounts[code]
                return {"deletedCodeDiscountId": variables["id"], "userErrors": []}
            discount = next(iter(variables.values()))
            if "customerSelection" in discount:
                return {"codeDiscountNode": None, "userErrors": [
                    {"field": ["customerSelection"], "code": "INVALID", "message": "customerSelection is deprecated"}]}
            if discount["code"] in self.discounts:
                return {"codeDiscountNode": None, "userErrors": [
                    {"field": ["code"], "code": "TAKEN", "message": "Code must be unique."}]}
            self.discounts_made += 1
            gid = f"gid://shopify/DiscountCodeNode/{self.discounts_made}"
            self.discounts[discount["code"]] = {"id": gid, "kind": field, "input": discount}
        return {"codeDiscountNode": {"id": gid}, "userErrors": []}
    def _run_bulk(self, bulk_query: str) -> dict[str, Any]:
        """A new bulk query operation, CREATED; refused while another is CREATED or RUNNING, as Shopify
        runs one bulk query per app and shop."""
        with self.bucket_lock:
            running = next((gid for gid, op in self.bulk_operations.items() if op["status"] in BULK_RUNNING), None)
            if running:
                return {"bulkOperation": None, "userErrors": [{
                    "field": None, "code": "OPERATION_IN_PROGRESS",
                    "message": f"A bulk query operation for this app and shop is already in progress: {running}."}]}
            if re.search(r"[{\s]email[\s}]", bulk_query) or "edges" not in bulk_query:
                return {"bulkOperation": None, "userErrors": [
                    {"field": ["query"], "code": "INVALID", "message": "Invalid bulk query"}]}
            gid = f"gid://shopify/BulkOperation/{len(self.bulk_operations) + 1}"
            self.bulk_operations[gid] = {"status": "CREATED", "polls": 0, "query": bulk_query}
        return {"bulkOperation": {"id": gid, "status": "CREATED"}, "userErrors": []}

    def _poll_bulk(self, gid: str) -> dict[str, Any] | None:
        """The operation, a step further on each poll: RUNNING (half counted), then COMPLETED with its
        result's URL (none when it found nothing)."""
        with self.bucket_lock:
            op = self.bulk_operations.get(gid)
            if op is None:
                return None
            if op["status"] in BULK_RUNNING:
                op["polls"] += 1
                op["status"] = "COMPLETED" if op["polls"] >= self.bulk_polls else "RUNNING"
            done = op["status"] == "COMPLETED"
            count = self.exported_customers if done else self.exported_customers // 2
        url = f"{self.url}/bulk/{gid.rsplit('/', 1)[-1]}.jsonl" if done and count else None
        return {"id": gid, "status": op["status"], "errorCode": None, "objectCount": str(count), "url": url}

    def _jsonl(self) -> Iterator[bytes]:
        """The export's lines, made as they are sent (100,000 customers are never held at once)."""
        chunk: list[str] = []
        for n in range(self.exported_customers):
            if n == self.stall_after_lines:
                yield "".join(chunk).encode()
                chunk = []
                self.hang_started.set()
                self.release.wait(30)
            chunk.append(json.dumps(exported_customer(n)) + "\n")
            if len(chunk) == 500:
                yield "".join(chunk).encode()
                chunk = []
        yield "".join(chunk).encode()

    def _collection(self, variables: dict[str, Any]) -> dict[str, Any] | None:
        products = self.collections.get(variables["id"].rsplit("/", 1)[-1])
        if products is None:
            return None
        start, first = int(variables.get("after") or 0), variables["first"]
        page = products[start:start + first]
        more = start + first < len(products)
        return {"products": {"pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if more else None},
                             "nodes": [{"legacyResourceId": product} for product in page]}}

    def _set(self, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        errors = [{"field": ["metafields", str(i), "value"], "message": "Value is invalid JSON.",
                   "code": "INVALID_VALUE", "elementIndex": i}
                  for i, m in enumerate(metafields) if not _is_json(m["value"])]
        if errors:
            return {"metafields": [], "userErrors": errors}
        with self.bucket_lock:
            for m in metafields:
                self.metafields[(m["ownerId"], m["key"])] = json.loads(m["value"])
                self.writes.append(m)
        return {"metafields": [{"id": f"gid://shopify/Metafield/{i}", "key": m["key"]}
                               for i, m in enumerate(metafields)], "userErrors": []}


def exported_customer(n: int) -> dict[str, Any]:
    """The ``n``-th (from 0) line of a customer export, as a 2026-10 bulk query's JSONL has it."""
    customer_id = FIRST_EXPORTED_ID + n
    return {"id": f"gid://shopify/Customer/{customer_id}", "firstName": f"First{n}", "lastName": f"Last{n}",
            "createdAt": "2025-06-01T12:00:00Z", "updatedAt": "2026-01-02T08:00:00Z",
            "defaultEmailAddress": {"emailAddress": f"customer{n}@example.com"} if n % 10 else None}


def order_node(order_id: str, name: str, subtotal: str, tax: str,
               customer: tuple[str, str, str, str]) -> dict[str, Any]:
    """A paid order as the reconciliation's orders query returns it in 2026-10; ``customer`` is
    (Shopify id, email, first name, last name)."""
    customer_id, email, first_name, last_name = customer
    return {
        "legacyResourceId": order_id, "name": name, "updatedAt": "2026-11-29T10:00:00Z", "cancelledAt": None,
        "displayFinancialStatus": "PAID", "taxesIncluded": False,
        "subtotalPriceSet": {"shopMoney": {"amount": subtotal}}, "totalTaxSet": {"shopMoney": {"amount": tax}},
        "customer": {"id": f"gid://shopify/Customer/{customer_id}", "defaultEmailAddress": {"emailAddress": email},
                     "firstName": first_name, "lastName": last_name, "createdAt": "2026-01-01T00:00:00Z"},
        "refunds": [],
    }


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True
