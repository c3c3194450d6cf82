"""Shopify's GraphQL Admin API: timeouts, the shop's cost bucket shared by all workers, THROTTLED and 429 retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from shopify_app.config import Config
from shopify_app.integrations.http import MAX_IN_JOB_WAIT, TIMEOUT, AwaitingReconnect, Permanent, RetryLater, backoff
from shopify_app.integrations.limits import CostBucket
from shopify_app.shopify.oauth import admin_origin
from shopify_app.shopify.webhook_payloads import as_shopify_id

ATTEMPTS = 6
# Where a client waits for the answer: one retry, then the request answers 503.
WAITED_ON_ATTEMPTS = 2
SHOP_ID_QUERY = "query LoyaltyShopId { shop { id ianaTimezone } }"


def graphql_url(config: Config, shop_domain: str) -> str:
    return f"{admin_origin(config, shop_domain)}/admin/api/{config.shopify_api_version}/graphql.json"


class GraphQLClient:
    """One shop's Admin API; ``token`` is asked for before each request so a refresh is picked up.

    ``bucket`` None is for a one-off query outside the workers (``shops install`` reading the shop's
    id): Shopify's own THROTTLED answers are still waited out. A 401 means Shopify no longer takes
    the token: ``token_refused`` is told which one (to clear it), then AwaitingReconnect is raised.
    ``attempts`` is fewer where someone waits for the answer (``WAITED_ON_ATTEMPTS``)."""

    def __init__(self, http: httpx.Client, url: str, token: Callable[[], str], bucket: CostBucket | None,
                 token_refused: Callable[[str], None] = lambda _token: None, *, attempts: int = ATTEMPTS) -> None:
        self.http = http
        self.url = url
        self.token = token
        self.bucket = bucket
        self.token_refused = token_refused
        self.attempts = attempts

    def execute(self, query: str, variables: dict[str, Any] | None = None, *, cost: int = 10) -> dict[str, Any]:
        """The ``data`` of a successful answer; ``cost`` is the expected requested cost."""
        last = ""
        for attempt in range(self.attempts):
            self._wait_for_bucket(cost)
            token = self.token()
            try:
                response = self.http.post(
                    self.url, json={"query": query, "variables": variables or {}}, timeout=TIMEOUT,
                    headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
                )
            except httpx.TransportError as error:
                last, wait = f"Shopify GraphQL: {type(error).__name__}", backoff(attempt)
            else:
                if response.status_code == 401:
                    self.token_refused(token)
                    raise AwaitingReconnect("Shopify GraphQL: HTTP 401, the access token is no longer valid")
                data, last, wait = self._read(response, attempt)
                if data is not None:
                    return data
            if wait > MAX_IN_JOB_WAIT or attempt == self.attempts - 1:
                raise RetryLater(last, wait)
            time.sleep(wait)
        raise RetryLater(last)

    def _wait_for_bucket(self, cost: int) -> None:
        while self.bucket is not None and (wait := self.bucket.wait_for(cost)) > 0:
            if wait > MAX_IN_JOB_WAIT:
                raise RetryLater("Shopify cost bucket empty", wait)
            time.sleep(wait)

    def _read(self, response: httpx.Response, attempt: int) -> tuple[dict[str, Any] | None, str, float]:
        """(data, error, wait): data when done, else what went wrong and how long to wait."""
        status = response.status_code
        if status in (429, 503):
            return None, f"Shopify GraphQL: HTTP {status}", _retry_after(response)
        if status >= 500:
            return None, f"Shopify GraphQL: HTTP {status}", backoff(attempt)
        if status != 200:
            raise Permanent(f"Shopify GraphQL: HTTP {status} {response.text[:300]}")
        body = response.json()
        cost = (body.get("extensions") or {}).get("cost") or {}
        if "throttleStatus" in cost and self.bucket is not None:
            self.bucket.observe(cost["throttleStatus"])
        errors = body.get("errors") or []
        if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
            return None, "Shopify GraphQL: THROTTLED", _throttled_wait(cost)
        if errors:
            raise Permanent(f"Shopify GraphQL errors: {[error.get('message') for error in errors]}")
        return body.get("data") or {}, "", 0.0


@dataclass(frozen=True)
class ShopIdentity:
    shopify_shop_id: str  # the N of gid://shopify/Shop/N
    iana_timezone: str  # as Shopify names it, e.g. "Europe/Paris"; "" when it gave none


def shop_identity(client: GraphQLClient) -> ShopIdentity:
    """The shop's numeric id and time zone, in one query (ValueError when the id is anything else)."""
    shop = client.execute(SHOP_ID_QUERY, cost=1)["shop"]
    return ShopIdentity(as_shopify_id(str(shop["id"]).rsplit("/", 1)[-1]), str(shop.get("ianaTimezone") or ""))


def shop_gid(client: GraphQLClient) -> str:
    """The shop's global id, ``gid://shopify/Shop/N``."""
    return str(client.execute(SHOP_ID_QUERY, cost=1)["shop"]["id"])


def shopify_shop_id(client: GraphQLClient) -> str:
    """The shop's numeric id: the N of its global id (ValueError when Shopify answers anything else)."""
    return shop_identity(client).shopify_shop_id


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "1"))
    except ValueError:
        return 1.0


def _throttled_wait(cost: dict[str, Any]) -> float:
    """Until the bucket holds the requested cost: (requested - available) / restore rate."""
    status = cost.get("throttleStatus") or {}
    rate = float(status.get("restoreRate") or 50)
    missing = float(cost.get("requestedQueryCost") or 10) - float(status.get("currentlyAvailable") or 0)
    return max(missing, 1.0) / rate


def user_errors(payload: dict[str, Any], field: str) -> None:
    """``userErrors`` arrive with HTTP 200: surface them as a failed delivery."""
    errors = (payload.get(field) or {}).get("userErrors") or []
    if errors:
        raise Permanent(f"{field} userErrors: {errors}")
