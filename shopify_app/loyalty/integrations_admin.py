"""Marketing-integration keys as the admin manages them: stored encrypted, checked on request."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.crypto import decrypt
from shopify_app.errors import FormErrors, NotFound
from shopify_app.integrations import klaviyo, omnisend, postscript
from shopify_app.integrations.settings import set_api_key
from shopify_app.loyalty.upserts import unique_or_field_error
from shopify_app.models import IntegrationSetting, Service, Shop

SERVICES = tuple(service.value for service in Service)
CHECK_TIMEOUT_SECONDS = 5.0


def settings_by_service(session: Session, shop_id: str) -> dict[str, IntegrationSetting | None]:
    rows = session.scalars(select(IntegrationSetting).where(IntegrationSetting.shop_id == shop_id))
    found = {row.service: row for row in rows}
    return {service: found.get(service) for service in SERVICES}


def get_setting(session: Session, shop_id: str, service: str) -> IntegrationSetting:
    row = session.scalar(
        select(IntegrationSetting).where(IntegrationSetting.shop_id == shop_id, IntegrationSetting.service == service)
    )
    if row is None or not row.api_key_ciphertext:
        raise NotFound(f"No {service} key is saved")
    return row


def save_key(session: Session, shop: Shop, service: str, api_key: str, config: Config) -> IntegrationSetting:
    """Store a new key (encrypted); the key can be replaced but never read back in the admin."""
    if service not in SERVICES:
        raise NotFound(f"Unknown integration '{service}'")
    if not 8 <= len(api_key.strip()) <= 512:
        raise FormErrors({"api_key": "Paste the whole API key"})
    with unique_or_field_error(session, "api_key", "Another save of this key came at the same moment; save it again"):
        row = set_api_key(session, shop, service, api_key, config)
    return row


def _probe(config: Config, service: str, api_key: str) -> httpx.Request:
    """The cheapest authenticated read each service offers, authenticated as its client is."""
    if service == "klaviyo":
        return httpx.Request("GET", f"{config.klaviyo_api_url}{klaviyo.PROBE_PATH}",
                             headers=klaviyo.auth_headers(api_key, config.klaviyo_revision))
    if service == "omnisend":
        return httpx.Request("GET", f"{config.omnisend_api_url}{omnisend.PROBE_PATH}",
                             headers=omnisend.auth_headers(api_key, config.omnisend_version))
    return httpx.Request("GET", f"{config.postscript_api_url}{postscript.PROBE_PATH}",
                         headers=postscript.auth_headers(api_key))


def check_connection(config: Config, row: IntegrationSetting) -> bool:
    """Call the service with the saved key and keep the outcome on the row for the page to show."""
    api_key = decrypt(row.api_key_ciphertext or "", config.shopify_api_secret, config.shopify_api_secret_previous)
    try:
        with httpx.Client(timeout=CHECK_TIMEOUT_SECONDS) as client:
            response = client.send(_probe(config, row.service, api_key))
        ok = response.is_success
        message = "Connected" if ok else (
            f"The key was refused (HTTP {response.status_code})" if response.status_code in (401, 403)
            else f"The service answered HTTP {response.status_code}"
        )
    except httpx.HTTPError as error:
        ok, message = False, f"Could not reach {row.service}: {type(error).__name__}"
    row.last_checked_at, row.last_check_ok, row.last_check_message = utcnow(), ok, message
    return ok
