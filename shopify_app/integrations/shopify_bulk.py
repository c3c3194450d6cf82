"""Shopify bulk operations: every customer of a shop exported by ``bulkOperationRunQuery``, polled by id,
and its JSONL result streamed line by line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from shopify_app.integrations.http import Permanent, RetryLater
from shopify_app.integrations.shopify_graphql import GraphQLClient

# One JSONL line per customer: a query with no nested connection has no child lines to reassemble.
CUSTOMERS_QUERY = """{
  customers { edges { node { id firstName lastName createdAt updatedAt defaultEmailAddress { emailAddress } } } }
}"""
RUN_QUERY = """mutation LoyaltyCustomerExport($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message code } }
}"""
OPERATION_QUERY = """query LoyaltyBulkOperation($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}"""
# A download of a large file takes a while; only the gaps between its chunks are timed.
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
FINISHED = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")


@dataclass(frozen=True)
class BulkOperation:
    id: str
    status: str  # CREATED, RUNNING, COMPLETED, CANCELING, CANCELED, FAILED, EXPIRED
    object_count: int
    url: str | None  # the JSONL result once COMPLETED (None when the query matched nothing)
    error_code: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def start_customer_export(client: GraphQLClient) -> str:
    """The id of a new bulk operation exporting every customer. Shopify runs one bulk query per app and
    shop at a time: another one still running is worth a later try, any other refusal is permanent."""
    payload = client.execute(RUN_QUERY, {"query": CUSTOMERS_QUERY}, cost=10)["bulkOperationRunQuery"]
    errors = payload.get("userErrors") or []
    if any(error.get("code") == "OPERATION_IN_PROGRESS" for error in errors):
        raise RetryLater("Shopify is running another bulk query for this app")
    if errors or not payload.get("bulkOperation"):
        raise Permanent(f"bulkOperationRunQuery userErrors: {[error.get('message') for error in errors]}")
    return str(payload["bulkOperation"]["id"])


def bulk_operation(client: GraphQLClient, operation_id: str) -> BulkOperation | None:
    """The operation's state now; None when Shopify no longer knows it."""
    node: dict[str, Any] | None = client.execute(OPERATION_QUERY, {"id": operation_id}, cost=1).get("node")
    if not node:
        return None
    return BulkOperation(id=str(node["id"]), status=str(node["status"]), object_count=int(node.get("objectCount") or 0),
                         url=node.get("url"), error_code=node.get("errorCode"))


def result_lines(http: httpx.Client, url: str) -> Iterator[str]:
    """The result file's non-empty lines, streamed: the file is never held whole."""
    with http.stream("GET", url, timeout=DOWNLOAD_TIMEOUT) as response:
        if response.status_code != 200:
            raise RetryLater(f"Shopify bulk result: HTTP {response.status_code}")
        yield from (line for line in response.iter_lines() if line.strip())
