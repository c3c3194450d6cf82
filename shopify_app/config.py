"""Settings read once from the environment, one default each, parsed strictly; production refuses
development secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_API_KEY = "dev-loyalty-api-key"
DEV_API_SECRET = "dev-loyalty-api-secret-not-for-production"
DEV_SECRET_KEY = "dev-loyalty-session-key-not-for-production"
DEV_DATA_ENCRYPTION_KEY = "dev-loyalty-data-encryption-key-not-for-production"
# A key shorter than this is not a random one (`openssl rand -base64 32` gives 44 characters).
MIN_DATA_ENCRYPTION_KEY_LENGTH = 32
SHOPIFY_API_VERSION = "2026-10"
# The scopes the app needs (as in shopify.app.toml); the Shopify CLI passes them as SCOPES.
SHOPIFY_SCOPES = "read_customers,write_customers,read_orders,write_app_proxy,write_discounts"


def normalize_database_url(url: str) -> str:
    """Point plain postgres:// URLs at the psycopg 3 driver that the app installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the app safely; the message names the variable."""


FLAGS = {"1": True, "true": True, "0": False, "false": False}


def _flag(value: object) -> object:
    # Exactly the forms the README lists: "yes", "on" or "tru" is a typo to report, not a guess to make.
    if isinstance(value, str):
        if value not in FLAGS:
            raise ValueError(f"must be one of {', '.join(FLAGS)}")
        return FLAGS[value]
    return value


def _comma_separated(value: object) -> object:
    return tuple(part.strip() for part in value.split(",")) if isinstance(value, str) else value


def _without_trailing_slash(value: str) -> str:
    return value.rstrip("/")


Flag = Annotated[bool, BeforeValidator(_flag)]
Url = Annotated[str, AfterValidator(_without_trailing_slash)]
Seconds = Annotated[int, Field(ge=0)]


class _Environ(EnvSettingsSource):
    """The variables of a given mapping instead of the process's environment; an empty one counts as unset."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    # Where the source reads os.environ (pydantic-settings has no parameter for another mapping);
    # tests and benchmarks hand their own environment to from_env.
    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name: value for name, value in self._environ.items() if value != ""}


class Config(BaseSettings):
    """The app's settings, each with its default and its environment variable (README, "Configuration").

    ``Config(...)`` takes them by field name and reads no environment; ``Config.from_env`` reads them."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", case_sensitive=True, validate_by_name=True)

    env: Literal["development", "test", "production"] = Field(default="development", validation_alias="APP_ENV")
    instance_path: Path = Field(default=PROJECT_ROOT / "instance", validation_alias="INSTANCE_PATH")
    database_url: Annotated[str, AfterValidator(normalize_database_url)] = Field(
        default="", validation_alias="DATABASE_URL")
    redis_url: str = Field(default="", validation_alias="REDIS_URL")
    shopify_api_key: str = Field(default=DEV_API_KEY, validation_alias="SHOPIFY_API_KEY")
    shopify_api_secret: str = Field(default=DEV_API_SECRET, validation_alias="SHOPIFY_API_SECRET")
    shopify_api_secret_previous: str = Field(default="", validation_alias="SHOPIFY_API_SECRET_PREVIOUS")
    # Signs the Flask session cookie (the demo login's); never one of the Shopify secrets.
    secret_key: str = Field(default=DEV_SECRET_KEY, validation_alias="SECRET_KEY")
    # Encrypts stored secrets (tokens, vendor keys); its own setting, so rotating the Shopify secret
    # locks nothing. During a rotation the previous key still decrypts; every write uses the current one.
    data_encryption_key: str = Field(default=DEV_DATA_ENCRYPTION_KEY, validation_alias="DATA_ENCRYPTION_KEY")
    data_encryption_key_previous: str = Field(default="", validation_alias="DATA_ENCRYPTION_KEY_PREVIOUS")
    shopify_api_version: str = SHOPIFY_API_VERSION
    # The Shopify CLI passes the scopes as SCOPES.
    shopify_scopes: str = Field(default=SHOPIFY_SCOPES, validation_alias=AliasChoices("SCOPES", "SHOPIFY_SCOPES"))
    app_url: Url = Field(default="http://127.0.0.1:8000", validation_alias="APP_URL")
    # The storefront path Shopify forwards to /proxy ([app_proxy] prefix and subpath in shopify.app.toml);
    # Shopify signs it as path_prefix, and a request signed for another path is refused.
    app_proxy_path_prefix: str = Field(default="/apps/loyalty", validation_alias="APP_PROXY_PATH_PREFIX")
    shopify_admin_origin: Url = Field(default="", validation_alias="SHOPIFY_ADMIN_ORIGIN")
    klaviyo_api_url: Url = Field(default="https://a.klaviyo.com", validation_alias="KLAVIYO_API_URL")
    omnisend_api_url: Url = Field(default="https://api.omnisend.com", validation_alias="OMNISEND_API_URL")
    postscript_api_url: Url = Field(default="https://api.postscript.io", validation_alias="POSTSCRIPT_API_URL")
    # The admin's demo login, off unless ADMIN_DEV_LOGIN=1; check() allows it only beside the
    # development Shopify secret, so it never opens a real app's shops.
    admin_dev_login: Flag = Field(default=False, validation_alias="ADMIN_DEV_LOGIN")
    klaviyo_revision: str = Field(default="2026-07-15", validation_alias="KLAVIYO_REVISION")
    omnisend_version: str = Field(default="2026-03-15", validation_alias="OMNISEND_VERSION")
    # Requests per second each API key may make (a sliding window), unless the key sets its own.
    api_rate_limit: int = Field(default=6, ge=1, validation_alias="API_RATE_LIMIT")
    # Requests per minute of one shopper (or one anonymous visitor's shop) on the storefront's /proxy.
    proxy_rate_limit: int = Field(default=120, ge=1, validation_alias="PROXY_RATE_LIMIT")
    # Changes to one customer closer together than this are delivered as one update.
    sync_coalesce_seconds: float = Field(
        default=1.0, ge=0, allow_inf_nan=False, validation_alias="SYNC_COALESCE_SECONDS")
    # RQ retry intervals (seconds) of network jobs; their count is the number of retries.
    job_retry_intervals: Annotated[tuple[Seconds, ...], NoDecode, BeforeValidator(_comma_separated)] = Field(
        default=(10, 30, 60, 300, 900), validation_alias="JOB_RETRY_INTERVALS")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments only: from_env hands over the environment it was given.
        return (init_settings,)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def signing_secrets(self) -> list[str]:
        """The secrets a Shopify signature may use: the current one, then the one before a rotation."""
        return [s for s in (self.shopify_api_secret, self.shopify_api_secret_previous) if s]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'loyalty.db'}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """The settings of ``environ`` (the process's environment by default), checked."""
        try:
            config = cls(**_Environ(cls, os.environ if environ is None else environ)())
        except ValidationError as error:
            raise ConfigError("; ".join(
                f"{'.'.join(str(part) for part in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                for e in error.errors(include_url=False)
            )) from None
        config.check()
        return config

    def check(self) -> None:
        if self.admin_dev_login and self.is_production:
            raise ConfigError("ADMIN_DEV_LOGIN is for development only and cannot be enabled in production")
        if self.admin_dev_login and self.signing_secrets != [DEV_API_SECRET]:
            raise ConfigError("ADMIN_DEV_LOGIN=1 needs the development SHOPIFY_API_SECRET (and no previous secret): "
                              "the demo login must never run beside a real app's secret")
        if not self.is_production:
            return
        if self.shopify_api_secret == DEV_API_SECRET or not self.shopify_api_secret:
            raise ConfigError("SHOPIFY_API_SECRET must be set in production")
        if self.shopify_api_key == DEV_API_KEY or not self.shopify_api_key:
            raise ConfigError("SHOPIFY_API_KEY must be set in production")
        if not self.database_url or not self.redis_url:
            raise ConfigError("DATABASE_URL and REDIS_URL must be set in production")
        if self.shopify_admin_origin:
            raise ConfigError("SHOPIFY_ADMIN_ORIGIN names a local Shopify stand-in and cannot be set in production")
        if self.secret_key == DEV_SECRET_KEY or not self.secret_key:
            raise ConfigError("SECRET_KEY must be set in production")
        if self.secret_key in self.signing_secrets:
            raise ConfigError("SECRET_KEY must differ from the Shopify secrets")
        if self.data_encryption_key == DEV_DATA_ENCRYPTION_KEY or not self.data_encryption_key:
            raise ConfigError("DATA_ENCRYPTION_KEY must be set in production")
        if len(self.data_encryption_key) < MIN_DATA_ENCRYPTION_KEY_LENGTH:
            raise ConfigError(
                f"DATA_ENCRYPTION_KEY must be at least {MIN_DATA_ENCRYPTION_KEY_LENGTH} random characters")
        if self.data_encryption_key in (*self.signing_secrets, self.secret_key):
            raise ConfigError("DATA_ENCRYPTION_KEY must differ from SECRET_KEY and the Shopify secrets")


def loyalty_config(app: Flask) -> Config:
    """The settings ``create_app`` gave ``app``."""
    return app.config["LOYALTY"]  # type: ignore[no-any-return]
