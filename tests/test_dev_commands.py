"""What a developer runs first: the curl line bin/dev prints (`demo member --curl`), `jobs failed` on a
quiet system, and bin/flask in a shell with no environment activated."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
from urllib.parse import urlsplit

from flask import Flask

from shopify_app.config import PROJECT_ROOT
from shopify_app.db import sessionmaker_for
from shopify_app.devtools.demo import DEMO_SHOP
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.shops.lookup import get_shop


def printed_curl(app: Flask) -> list[str]:
    result = app.test_cli_runner().invoke(args=["demo", "member", "--curl", "http://127.0.0.1:8000"])
    assert result.exit_code == 0, result.output
    command = result.output.split(":\n", 1)[1]
    return shlex.split(command.replace("\\\n", " "))


def replay(app: Flask, curl: list[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    """The curl line through the test client: its method, path, headers and body as written."""
    assert curl[:4] == ["curl", "-sS", "-X", "POST"]
    url = urlsplit(curl[4])
    assert (url.scheme, url.netloc) == ("http", "127.0.0.1:8000")
    options = list(zip(curl[5::2], curl[6::2], strict=True))
    headers = dict(value.split(": ", 1) for flag, value in options if flag == "-H")
    [body] = [value for flag, value in options if flag == "-d"]
    response = app.test_client().post(url.path, data=body, headers=headers)
    return response.status_code, response.get_json()


def test_the_printed_curl_line_awards_points_on_every_run(app: Flask) -> None:
    first, second = printed_curl(app), printed_curl(app)
    assert first != second  # a new member each time
    for curl in (first, second):
        status, document = replay(app, curl)
        assert status == 201, document
        assert document["data"]["attributes"]["points"] == 100
    emails = [json.loads(curl[curl.index("-d") + 1])["customer_identifier"] for curl in (first, second)]
    assert emails == ["visitor-1@example.com", "visitor-2@example.com"]
    with sessionmaker_for(app)() as session:
        shop = get_shop(session, DEMO_SHOP)
        assert shop is not None
        members = [find_customer(session, shop.id, email) for email in emails]
        assert [m.current_points for m in members if m] == [100, 100]


def test_demo_member_prints_the_new_members_email(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "member"])
    assert result.exit_code == 0, result.output
    assert result.output == "visitor-1@example.com\n"


def test_jobs_failed_says_when_there_are_none(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "failed"])
    assert result.exit_code == 0 and result.output == "No failed deliveries\n"


def test_bin_flask_runs_the_apps_commands_without_an_activated_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A fresh shell: no virtualenv on PATH, started from another folder.
    unset = ("VIRTUAL_ENV", "FLASK_APP", "DATABASE_URL", "REDIS_URL", "APP_ENV")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env["PATH"] = "/usr/bin:/bin"
    env["INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run([str(PROJECT_ROOT / "bin" / "flask"), "db", "upgrade"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "database at head"
    assert (tmp_path / "loyalty.db").is_file()


def test_bin_dev_refuses_a_taken_port_before_it_starts_anything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PORT": str(port), "INSTANCE_PATH": str(tmp_path)}
        result = subprocess.run([str(PROJECT_ROOT / "bin" / "dev")], env=env, capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 1
    assert f"Port {port} is in use" in result.stderr and f"PORT={port + 1} " in result.stderr
    assert result.stdout == "" and list(tmp_path.iterdir()) == []  # no database, no Redis, no banner
