"""Omnisend: contact upsert by email with custom properties, points-awarded and reward-redeemed events,
400 requests/min per brand."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from redis import Redis

from shopify_app.integrations.http import Skipped, backoff, send
from shopify_app.integrations.limits import acquire_window
from shopify_app.integrations.profile import Event, LoyaltyState, RewardEvent, snake_properties

EVENT_NAME = "points awarded"
REWARD_EVENT_NAME = "reward redeemed"
PER_MINUTE = 400
# eventID must be a UUID: derived from the entry id so a repeat sends the same one.
_EVENT_NAMESPACE = uuid.UUID("6f1b7c1e-2d8a-4c55-9a53-0d5f1c2b7e41")


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return float(response.json()["retryAfter"])
    except (ValueError, KeyError, TypeError):
        return backoff(attempt, base=1.0)


PROBE_PATH = "/api/contacts?limit=1"  # the cheapest authenticated read, for "test connection"


def auth_headers(api_key: str, version: str) -> dict[str, str]:
    return {"Authorization": f"Omnisend-API-Key {api_key}", "Omnisend-Version": version,
            "Accept": "application/json"}


class Omnisend:
    def __init__(self, http: httpx.Client, redis: Redis, base_url: str, version: str, api_key: str,
                 limit_key: str) -> None:
        self.http, self.redis, self.base_url, self.limit_key = http, redis, base_url, limit_key
        self.headers = {**auth_headers(api_key, version), "Content-Type": "application/json"}

    def _post(self, path: str, body: dict[str, Any]) -> None:
        send(self.http, "POST", f"{self.base_url}{path}", json=body, headers=self.headers,
             throttle_wait=_retry_after,
             before=lambda: acquire_window(self.redis, f"omnisend:{self.limit_key}", PER_MINUTE, 60.0))

    def update_profile(self, state: LoyaltyState) -> None:
        # Only the identifier and custom properties: a loyalty sync never touches consent.
        self._post("/api/contacts", {"identifiers": [{"type": "email", "id": _email(state)}],
                                     "customProperties": snake_properties(state)})

    def send_event(self, state: LoyaltyState, event: Event) -> None:
        if isinstance(event, RewardEvent):
            name, properties = REWARD_EVENT_NAME, event.snake_properties()
        else:
            name = EVENT_NAME
            properties = {"points": event.points, "earning_rule": event.earning_rule, "status": event.status}
        self._post("/api/events", {
            "eventName": name,
            "origin": "api",
            "eventID": str(uuid.uuid5(_EVENT_NAMESPACE, event.unique_id)),
            "eventTime": event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "contact": {"email": _email(state)},
            "properties": properties,
        })


def _email(state: LoyaltyState) -> str:
    if not state.email:
        raise Skipped("Omnisend contacts are keyed by email and this customer has none")
    return state.email
