"""Instructions the app runs per webhook delivery (POST /webhooks, a signed ``orders/paid``), counted by
valgrind's callgrind, and the round trips each delivery makes to PostgreSQL and to Redis.

The sibling of bench/award_instructions.py for the intake, measured the same way: the app in-process
(Flask test client) against a PostgreSQL database of its own, each figure the difference between a
run of W and a run of W + N deliveries, so start-up and warm-up cancel out. Every delivery has a
webhook id of its own and one shop, as a sale's burst does; the bodies are signed before the first
delivery, as many in every run, so signing is not counted. Counts the app's process only, not
PostgreSQL's or Redis's. The round trips are counted in a run of their own, without valgrind: each
statement, BEGIN, COMMIT and ROLLBACK sent to PostgreSQL, each write of commands to Redis (a pipeline
is one). Not a test: see docs/benchmarks.md.

    python bench/intake_instructions.py [--requests 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from functools import partial
from pathlib import Path

from sqlalchemy import Connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.award import VENV_BIN, fresh_database, machine  # noqa: E402
from bench.award_instructions import WARM_UP, counted  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--trips", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--send", nargs=3, metavar=("FIRST", "SIGNED", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        send(int(args.send[0]), int(args.send[1]), int(args.send[2]), trips=args.trips)
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install -y valgrind")

    signed = WARM_UP + args.requests
    with fresh_database(args.database_server) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "APP_ENV": "development",
               "PYTHONHASHSEED": "0"}
        flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "demo", "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
        # Each run's deliveries are new (webhook ids of their own), so none is a repeat.
        short = counted(env, __file__, "--send", "0", str(signed), str(WARM_UP))
        long = counted(env, __file__, "--send", str(signed), str(signed), str(signed))
        trips = json.loads(subprocess.run(
            [sys.executable, __file__, "--trips", "--send", str(2 * signed), str(signed), str(signed)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)

    print(json.dumps({
        "machine": machine(),
        "requests_counted": args.requests,
        "instructions_per_delivery": (long - short) // args.requests,
        "round_trips_per_delivery": trips,
    }, indent=2))


def send(first: int, signed: int, count: int, *, trips: bool) -> None:
    """The measured process: ``count`` deliveries of the ``signed`` signed from order ``first`` on;
    with ``trips``, the round trips of those past the warm-up, per delivery, printed as JSON."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bench.webhooks import signed as signed_delivery
    from shopify_app import create_app

    deliveries = [signed_delivery(30_000_000 + first + order) for order in range(signed)]
    client = create_app().test_client()
    sent: Counter[str] = Counter()
    if trips:
        _count_round_trips(sent, event, Engine)
    for number, (body, headers) in enumerate(deliveries[:count]):
        if number == WARM_UP:
            sent.clear()
        response = client.post("/webhooks", data=body, headers=headers)
        if response.status_code != 200:
            sys.exit(f"POST /webhooks answered {response.status_code}: {response.get_data(as_text=True)}")
    if trips:
        measured = count - WARM_UP
        print(json.dumps({kind: round(total / measured, 2) for kind, total in sorted(sent.items())}))


def _count_round_trips(sent: Counter[str], event: object, engine: type) -> None:
    """Count, into ``sent``, what the app sends PostgreSQL (statements, BEGIN, COMMIT, ROLLBACK) and Redis."""
    from redis.connection import AbstractConnection

    listen = event.listen  # type: ignore[attr-defined]
    listen(engine, "before_cursor_execute", lambda *_args: sent.update(["postgresql_statements"]))
    for name in ("begin", "commit", "rollback"):
        listen(engine, name, partial(_transaction_sent, sent, f"postgresql_{name}"))
    write = AbstractConnection.send_packed_command

    def counted_write(connection: AbstractConnection, command: object, check_health: bool = True) -> None:
        sent.update(["redis_writes"])
        write(connection, command, check_health)  # type: ignore[arg-type]

    AbstractConnection.send_packed_command = counted_write  # type: ignore[method-assign]


def _transaction_sent(sent: Counter[str], kind: str, connection: Connection) -> None:
    """A BEGIN, COMMIT or ROLLBACK is sent unless the connection autocommits (the driver sends none then)."""
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        sent.update([kind])


if __name__ == "__main__":
    main()
