"""Per-shop integration settings: the vendor API key (encrypted at rest) and an enabled flag, for the CLI and admin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import crypto
from shopify_app.config import Config
from shopify_app.errors import BadRequest, FormErrors, NotFound
from shopify_app.models import IntegrationSetting, Service, Shop
from shopify_app.upserts import unique_or_field_error

SERVICES = tuple(service.value for service in Service)


def _service(name: str) -> str:
    try:
        return Service(name).value
    except ValueError:
        raise BadRequest(f"unknown service '{name}'; one of {', '.join(s.value for s in Service)}") from None


def _setting(session: Session, shop_id: str, service: str) -> IntegrationSetting | None:
    return session.scalar(
        select(IntegrationSetting).where(IntegrationSetting.shop_id == shop_id, IntegrationSetting.service == service)
    )


def set_api_key(session: Session, shop: Shop, service: str, api_key: str, config: Config) -> IntegrationSetting:
    """Store (or replace) the service's key and enable it; the caller commits."""
    service = _service(service)
    if not api_key.strip():
        raise BadRequest("the API key is empty")
    setting = _setting(session, shop.id, service) or IntegrationSetting(shop_id=shop.id, service=service)
    setting.api_key_ciphertext = crypto.encrypt(api_key.strip(), config)
    setting.key_hint = api_key.strip()[-4:]
    setting.enabled = True
    # A new key has not been checked yet; an old check says nothing about it.
    setting.last_checked_at = setting.last_check_ok = setting.last_check_message = None
    session.add(setting)
    return setting


def disable(session: Session, shop: Shop, service: str) -> None:
    setting = _setting(session, shop.id, _service(service))
    if setting is not None:
        setting.enabled = False


def disconnect(session: Session, shop: Shop, service: str) -> None:
    """The admin's Disconnect: the service is off and its key forgotten (a new one connects it again)."""
    setting = _setting(session, shop.id, _service(service))
    if setting is None:
        return
    setting.enabled = False
    setting.api_key_ciphertext = None
    setting.key_hint = ""
    setting.last_checked_at = setting.last_check_ok = setting.last_check_message = None


def connected(setting: IntegrationSetting | None) -> bool:
    """Deliveries go out: the service is on and has a key."""
    return setting is not None and setting.enabled and bool(setting.api_key_ciphertext)


def api_key_for(session: Session, shop_id: str, service: str, config: Config) -> str | None:
    """The usable key of an enabled service, or None (the delivery is then skipped)."""
    setting = _setting(session, shop_id, service)
    if setting is None or not setting.enabled or not setting.api_key_ciphertext:
        return None
    return crypto.decrypt(setting.api_key_ciphertext, config)


def settings_by_service(session: Session, shop_id: str) -> dict[str, IntegrationSetting | None]:
    rows = session.scalars(select(IntegrationSetting).where(IntegrationSetting.shop_id == shop_id))
    found = {row.service: row for row in rows}
    return {service: found.get(service) for service in SERVICES}


def get_setting(session: Session, shop_id: str, service: str) -> IntegrationSetting:
    row = _setting(session, shop_id, service)
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
