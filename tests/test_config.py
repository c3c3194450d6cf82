"""Settings from the environment: one default each, the README's variable names, strict parsing, and
errors that name the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from shopify_app.config import (
    DEV_API_KEY,
    DEV_API_SECRET,
    DEV_DATA_ENCRYPTION_KEY,
    PROJECT_ROOT,
    SHOPIFY_SCOPES,
    Config,
    ConfigError,
)

PRODUCTION = {"APP_ENV": "production", "SHOPIFY_API_KEY": "k" * 32, "SHOPIFY_API_SECRET": "shpss_" + "r" * 32,
              "SECRET_KEY": "c" * 40, "DATA_ENCRYPTION_KEY": "d" * 44,
              "DATABASE_URL": "postgresql://db/x", "REDIS_URL": "redis://r"}
# Read by bin/dev and gunicorn.conf.py, not by the app's settings.
NOT_SETTINGS = {"PORT", "WEB_CONCURRENCY", "WEB_THREADS"}


def env_names() -> set[str]:
    names: set[str] = set()
    for field in Config.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names |= {str(choice) for choice in alias.choices}
    return names


def test_the_readme_lists_every_variable_the_settings_read() -> None:
    table = (PROJECT_ROOT / "README.md").read_text().split("| variable |", 1)[1].split("\n\n", 1)[0]
    documented = {name for row in table.splitlines()[2:]
                  for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert documented - NOT_SETTINGS == env_names()


def test_defaults_are_the_same_read_from_an_empty_environment_or_built_by_hand() -> None:
    config = Config.from_env({})
    assert config == Config()
    assert (config.env, config.shopify_api_key, config.shopify_api_secret) == (
        "development", DEV_API_KEY, DEV_API_SECRET)
    assert (config.instance_path, config.database_url, config.redis_url) == (PROJECT_ROOT / "instance", "", "")
    assert (config.shopify_scopes, config.app_url, config.app_proxy_path_prefix) == (
        SHOPIFY_SCOPES, "http://127.0.0.1:8000", "/apps/loyalty")
    assert (config.admin_dev_login, config.sync_coalesce_seconds, config.job_retry_intervals) == (
        False, 1.0, (10, 30, 60, 300, 900))
    assert (config.data_encryption_key, config.data_encryption_key_previous) == (DEV_DATA_ENCRYPTION_KEY, "")


def test_each_variable_reaches_its_setting() -> None:
    config = Config.from_env({
        "APP_ENV": "test", "INSTANCE_PATH": "/tmp/loyalty", "DATABASE_URL": "postgres://db/x", "REDIS_URL": "redis://r/1",
        "APP_URL": "https://loyalty.example.com/", "KLAVIYO_API_URL": "http://127.0.0.1:9/",
        "SYNC_COALESCE_SECONDS": "2.5", "JOB_RETRY_INTERVALS": "1, 2,3", "DATA_ENCRYPTION_KEY": "new",
        "DATA_ENCRYPTION_KEY_PREVIOUS": "old", "SHOPIFY_SCOPES": "read_orders",
    })
    assert (config.env, config.instance_path, config.redis_url) == ("test", Path("/tmp/loyalty"), "redis://r/1")
    assert config.database_url == "postgresql+psycopg://db/x"
    assert (config.app_url, config.klaviyo_api_url) == ("https://loyalty.example.com", "http://127.0.0.1:9")
    assert (config.sync_coalesce_seconds, config.job_retry_intervals) == (2.5, (1, 2, 3))
    assert (config.data_encryption_key, config.data_encryption_key_previous) == ("new", "old")
    assert config.shopify_scopes == "read_orders"


def test_scopes_as_the_shopify_cli_passes_them_win_and_an_empty_variable_counts_as_unset() -> None:
    both = {"SCOPES": "read_orders", "SHOPIFY_SCOPES": "read_customers"}
    assert Config.from_env(both).shopify_scopes == "read_orders"
    assert Config.from_env({"SCOPES": "", "SHOPIFY_SCOPES": "read_customers"}).shopify_scopes == "read_customers"
    assert Config.from_env({"APP_ENV": "", "SYNC_COALESCE_SECONDS": ""}) == Config()


def test_built_by_hand_it_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("ADMIN_DEV_LOGIN", "1")
    assert (Config().env, Config().admin_dev_login) == ("development", False)
    with pytest.raises(ConfigError, match="ADMIN_DEV_LOGIN is for development only"):
        Config.from_env()  # the process's environment


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("0", False), ("false", False)])
def test_the_documented_boolean_forms(value: str, expected: bool) -> None:
    assert Config.from_env({"ADMIN_DEV_LOGIN": value}).admin_dev_login is expected


@pytest.mark.parametrize("value", ["yes", "tru", "no", "on", "TRUE", "2", " 1"])
def test_a_bad_boolean_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^ADMIN_DEV_LOGIN: must be one of 1, true, 0, false$"):
        Config.from_env({"ADMIN_DEV_LOGIN": value})


@pytest.mark.parametrize(("name", "value"), [
    ("SYNC_COALESCE_SECONDS", "soon"), ("SYNC_COALESCE_SECONDS", "-1"), ("SYNC_COALESCE_SECONDS", "nan"),
    ("JOB_RETRY_INTERVALS", "10,x"), ("JOB_RETRY_INTERVALS", "10,-5"), ("JOB_RETRY_INTERVALS", "1.5"),
])
def test_a_bad_number_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name}(\.\d+)?: "):
        Config.from_env({name: value})


def test_an_unknown_environment_is_refused_not_taken_for_development() -> None:
    with pytest.raises(ConfigError, match=r"^APP_ENV: "):
        Config.from_env({**PRODUCTION, "APP_ENV": "prod"})


def test_every_bad_variable_is_named_and_no_value_is_shown() -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"ADMIN_DEV_LOGIN": "secret-yes", "SYNC_COALESCE_SECONDS": "secret-soon"})
    message = str(raised.value)
    assert "ADMIN_DEV_LOGIN: " in message and "SYNC_COALESCE_SECONDS: " in message
    assert "secret" not in message


@pytest.mark.parametrize(("changes", "problem"), [
    ({"SHOPIFY_API_SECRET": None}, "SHOPIFY_API_SECRET must be set in production"),
    ({"SHOPIFY_API_SECRET": DEV_API_SECRET}, "SHOPIFY_API_SECRET must be set in production"),
    ({"SHOPIFY_API_KEY": None}, "SHOPIFY_API_KEY must be set in production"),
    ({"SHOPIFY_API_KEY": DEV_API_KEY}, "SHOPIFY_API_KEY must be set in production"),
    ({"DATABASE_URL": None}, "DATABASE_URL and REDIS_URL must be set in production"),
    ({"REDIS_URL": ""}, "DATABASE_URL and REDIS_URL must be set in production"),
    ({"SECRET_KEY": None}, "SECRET_KEY must be set in production"),
    ({"SECRET_KEY": PRODUCTION["SHOPIFY_API_SECRET"]}, "SECRET_KEY must differ from the Shopify secrets"),
    ({"ADMIN_DEV_LOGIN": "1"}, "ADMIN_DEV_LOGIN is for development only"),
    ({"SHOPIFY_ADMIN_ORIGIN": "http://127.0.0.1:8001"}, "SHOPIFY_ADMIN_ORIGIN names a local Shopify stand-in"),
])
def test_production_refuses_development_secrets(changes: dict[str, str | None], problem: str) -> None:
    assert Config.from_env(PRODUCTION).is_production
    environ = {name: value for name, value in {**PRODUCTION, **changes}.items() if value is not None}
    with pytest.raises(ConfigError, match=problem):
        Config.from_env(environ)


def test_built_by_hand_it_is_typed_and_frozen() -> None:
    config = Config(env="test", instance_path=Path("/tmp/x"), sync_coalesce_seconds=0.0, job_retry_intervals=(0, 0))
    assert config.model_copy(update={"redis_url": "redis://r"}).redis_url == "redis://r"
    with pytest.raises(ValidationError):
        config.redis_url = "redis://other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Config(admin_dev_login="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Config(no_such_setting=1)  # type: ignore[call-arg]
