"""Shopify's token endpoint: token exchange, authorization code grant and refresh.

All three POST to ``/admin/oauth/access_token`` and answer with the same shape; we always
ask for expiring offline tokens (1 h access token, 90-day refresh token)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

from shopify_app.clock import utcnow
from shopify_app.config import Config

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_ACCESS_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class TokenRequestError(Exception):
    """Shopify refused a token request (``error`` is its code, e.g. ``invalid_grant``)."""

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(f"{status} {error}: {description}".strip())
        self.status = status
        self.error = error


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    scope: str
    expires_at: dt.datetime | None
    refresh_token: str | None
    refresh_token_expires_at: dt.datetime | None


def admin_origin(config: Config, shop: str) -> str:
    """``https://{shop}``, or SHOPIFY_ADMIN_ORIGIN (a local fake) with the same paths."""
    return config.shopify_admin_origin or f"https://{shop}"


def exchange_session_token(http: httpx.Client, config: Config, shop: str, id_token: str) -> TokenGrant:
    return _request(http, config, shop, {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": id_token,
        "subject_token_type": ID_TOKEN_TYPE,
        "requested_token_type": OFFLINE_ACCESS_TOKEN_TYPE,
        "expiring": "1",
    })


def exchange_authorization_code(http: httpx.Client, config: Config, shop: str, code: str) -> TokenGrant:
    return _request(http, config, shop, {"code": code, "expiring": "1"})


def refresh_offline_token(http: httpx.Client, config: Config, shop: str, refresh_token: str) -> TokenGrant:
    return _request(http, config, shop, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def _request(http: httpx.Client, config: Config, shop: str, params: dict[str, str]) -> TokenGrant:
    body = {"client_id": config.shopify_api_key, "client_secret": config.shopify_api_secret, **params}
    response = http.post(
        f"{admin_origin(config, shop)}/admin/oauth/access_token",
        json=body, headers={"Accept": "application/json"}, timeout=TIMEOUT,
    )
    payload = _json(response)
    if response.status_code != 200 or "access_token" not in payload:
        raise TokenRequestError(
            response.status_code, str(payload.get("error", "unexpected_response")),
            str(payload.get("error_description", "")),
        )
    return _grant(payload, utcnow())


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _grant(payload: dict[str, Any], now: dt.datetime) -> TokenGrant:
    def after(seconds: Any) -> dt.datetime | None:
        try:
            return now + dt.timedelta(seconds=int(seconds))
        except (TypeError, ValueError):
            return None  # a non-expiring token has no expires_in

    return TokenGrant(
        access_token=str(payload["access_token"]),
        scope=str(payload.get("scope", "")),
        expires_at=after(payload.get("expires_in")),
        refresh_token=payload.get("refresh_token"),
        refresh_token_expires_at=after(payload.get("refresh_token_expires_in")),
    )
