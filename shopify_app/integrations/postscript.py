"""Postscript: patch an existing subscriber's properties and send a custom event; never create a subscriber."""

from __future__ import annotations

from typing import Any

import httpx
from redis import Redis

from shopify_app.integrations.http import Skipped, backoff, send
from shopify_app.integrations.limits import acquire_window
from shopify_app.integrations.profile import Event, LoyaltyState, RewardEvent, snake_properties

EVENT_TYPE = "Points_Awarded"
REWARD_EVENT_TYPE = "Reward_Redeemed"
PER_SECOND = 15
# Counted over a slightly longer window than Postscript's second: requests that leave 1 s apart
# can arrive closer together, and one over the limit costs a 429 and a backoff.
WINDOW_SECONDS = 1.1


def _without_nulls(values: dict[str, Any]) -> dict[str, Any]:
    # Postscript property values are strings, numbers, lists or dates; a missing tier is left out.
    return {key: value for key, value in values.items() if value is not None}


def _jittered(_: httpx.Response, attempt: int) -> float:
    return backoff(attempt, base=1.0)  # Postscript sends no Retry-After


PROBE_PATH = "/api/v2/subscribers?limit=1"  # the cheapest authenticated read, for "test connection"


def auth_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}


class Postscript:
    def __init__(self, http: httpx.Client, redis: Redis, base_url: str, api_key: str, limit_key: str) -> None:
        self.http, self.redis, self.base_url, self.limit_key = http, redis, base_url, limit_key
        self.headers = auth_headers(api_key)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return send(self.http, method, f"{self.base_url}{path}", headers=self.headers, throttle_wait=_jittered,
                    before=lambda: acquire_window(self.redis, f"postscript:{self.limit_key}", PER_SECOND,
                                                  WINDOW_SECONDS),
                    **kwargs)

    def find_subscriber(self, state: LoyaltyState) -> str:
        """By Shopify customer id, then by email; Skipped when there is none (no SMS consent)."""
        lookups = [("shopify_customer_id__eq", state.shopify_customer_id)]
        if state.email:
            lookups.append(("email__eq", state.email))
        for field, value in lookups:
            found = self._call("GET", "/api/v2/subscribers", params={field: value}).json().get("subscribers") or []
            if found:
                return str(found[0]["id"])
        raise Skipped("no Postscript subscriber for this customer; the app never creates one")

    def update_properties(self, subscriber_id: str, state: LoyaltyState) -> None:
        self._call("PATCH", f"/api/v2/subscribers/{subscriber_id}",
                   json={"properties": _without_nulls(snake_properties(state))})

    def send_event(self, subscriber_id: str, state: LoyaltyState, event: Event) -> None:
        if isinstance(event, RewardEvent):
            kind, properties = REWARD_EVENT_TYPE, event.snake_properties()
        else:
            kind = EVENT_TYPE
            properties = {"points": event.points, "earning_rule": event.earning_rule, "status": event.status}
        body: dict[str, Any] = {
            "type": kind,
            "subscriber_id": subscriber_id,
            "occurred_at": event.occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "properties": properties,
            "external_id": event.unique_id,
        }
        if state.email:
            body["email"] = state.email
        self._call("POST", "/api/v2/events", json=body)
