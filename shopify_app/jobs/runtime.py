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
# RQ's blocking dequeue (BLPOP) waits up to the worker's TTL minus 15 s for a job, and RQ wants the
# socket timeout 10 s above that; a request's short timeout would end every idle wait in an error.
SOCKET_TIMEOUT = 60


def bind(app: Flask) -> Context:
    """Use ``app`` in this process (the worker command passes the one Flask built)."""
    global _context
    from shopify_app.db import sessionmaker_for
    from shopify_app.redis_conn import connect

    config = app.config["LOYALTY"]
    _context = Context(
        pid=os.getpid(), config=config, sessions=sessionmaker_for(app),
        redis=connect(config, timeout=SOCKET_TIMEOUT), http=httpx.Client(limits=httpx.Limits(max_connections=20)),
    )
    return _context


def context() -> Context:
    """The process's context: the current app's (a request, or a job run in an app context), bound
    once; else the one the worker command bound; else a new app. A forked child (a plain ``rq
    worker``) builds its own engine and pools."""
    if has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if _context is not None and _context.pid == os.getpid() and _context.config is app.config["LOYALTY"]:
            return _context
        return bind(app)
    if _context is not None and _context.pid == os.getpid():
        return _context
    from shopify_app import create_app

    return bind(create_app())
