"""Klaviyo: profile upsert with the loyalty properties, a "Points Awarded" event per ledger entry and a
"Reward Redeemed" event per reward code."""

from __future__ import annotations

from typing import Any

import httpx
from redis import Redis

from shopify_app.integrations.http import backoff, send
from shopify_app.integrations.limits import acquire_window
from shopify_app.integrations.profile import Event, LoyaltyState, RewardEvent, titled_properties

METRIC = "Points Awarded"
REWARD_METRIC = "Reward Redeemed"


def _identity(state: LoyaltyState) -> dict[str, Any]:
    identity: dict[str, Any] = {"external_id": f"shopify:{state.shopify_customer_id}"}
    if state.email:
        identity["email"] = state.email
    return identity


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return backoff(attempt, base=1.0)


PROBE_PATH = "/api/accounts/"  # the cheapest authenticated read, for "test connection"


def auth_headers(api_key: str, revision: str) -> dict[str, str]:
    return {"Authorization": f"Klaviyo-API-Key {api_key}", "revision": revision,
            "accept": "application/vnd.api+json"}


class Klaviyo:
    def __init__(self, http: httpx.Client, redis: Redis, base_url: str, revision: str, api_key: str,
                 limit_key: str) -> None:
        self.http, self.redis, self.base_url, self.limit_key = http, redis, base_url, limit_key
        self.headers = {**auth_headers(api_key, revision), "content-type": "application/vnd.api+json"}

    def _post(self, path: str, body: dict[str, Any], per_second: int, per_minute: int) -> None:
        def limits() -> None:  # Klaviyo counts a burst (1 s) and a steady (1 min) window per account
            acquire_window(self.redis, f"klaviyo:{self.limit_key}:{path}:s", per_second, 1.0)
            acquire_window(self.redis, f"klaviyo:{self.limit_key}:{path}:m", per_minute, 60.0)

        send(self.http, "POST", f"{self.base_url}{path}", json=body, headers=self.headers,
             throttle_wait=_retry_after, before=limits)

    def update_profile(self, state: LoyaltyState) -> None:
        self._post("/api/profile-import", {"data": {"type": "profile", "attributes": {
            **_identity(state), "properties": titled_properties(state)}}}, 75, 750)

    def send_event(self, state: LoyaltyState, event: Event) -> None:
        if isinstance(event, RewardEvent):
            metric, properties, value = REWARD_METRIC, event.titled_properties(), event.points_spent
        else:
            metric, value = METRIC, event.points
            properties = {"points": event.points, "earning_rule": event.earning_rule, "status": event.status}
        self._post("/api/events", {"data": {"type": "event", "attributes": {
            "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
            "profile": {"data": {"type": "profile", "attributes": _identity(state)}},
            "properties": properties,
            "value": value,
            "unique_id": event.unique_id,
            "time": event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }}}, 350, 3500)
