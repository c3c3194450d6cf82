"""Award endpoint throughput and latency against the framework's floor (GET /healthz).

Runs the app under gunicorn against a fresh PostgreSQL database with many distinct members,
drives both endpoints with wrk (same connections, threads and duration) and prints
requests/s, p50 and p99 for each and the ratio award/healthz. Then pgbench runs the award's own
statement (the one the app sends, written out as a pgbench script) with one connection per
gunicorn worker and no app in front: the database's share of an award, the ceiling any app on
this machine stays under. Both endpoints are warmed up for 3 s first; the three runs then
repeat in rounds, so a busy neighbour skews one round rather than one endpoint; the ratios
reported are the medians over rounds. With --floor each round also awards on bench/floor_app.py, the
same statement with no app around it (twice the awards a run: give it twice the customers).
Not a test: see docs/benchmarks.md.

    python bench/award.py [--workers 4] [--connections 16] [--duration 5] [--rounds 5] [--customers 20000] [--floor]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import create_engine, text
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.types import NullType

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from shopify_app.devtools.demo import MEMBER_ID_BASE  # noqa: E402
from shopify_app.loyalty.earning.awards import AWARD_STATEMENTS  # noqa: E402
from shopify_app.portable_sql import compiled_once  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1 = sync worker)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=5, help="seconds per endpoint per round")
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5, help="healthz, award and SQL runs, interleaved; medians")
    parser.add_argument("--floor", action="store_true",
                        help="also award on bench/floor_app.py (the statement with no app around it) each round")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    if not shutil.which("pgbench"):
        sys.exit("pgbench is needed: apt-get install -y postgresql-client")

    with fresh_database(args.database_server) as database_url:
        # The per-key rate limit (6/s by default) would answer most of the load with 429s.
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "APP_ENV": "development",
               "API_RATE_LIMIT": "1000000"}
        flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        demo = json.loads(subprocess.run([*flask, "demo", "seed", "--json", "--customers", str(args.customers)],
                                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)
        rules = {rule["action"]: rule["id"] for rule in demo["earning_rules"]}
        script = Path(tempfile.mkdtemp()) / "award.pgbench"
        pgbench = pgbench_command(database_url, demo, rules["follow_on_instagram"], args, script)
        run_pgbench(pgbench)  # a history of awards before the statistics: see analyze()
        analyze(database_url)
        port = free_port()
        gunicorn = [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), "--threads", str(args.threads),
                    "--worker-class", "sync" if args.threads == 1 else "gthread", "--log-level", "warning"]
        server = subprocess.Popen([*gunicorn, "wsgi:app", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env)
        floor = start_floor(gunicorn, database_url, demo["shop"]) if args.floor else None
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/healthz")
            wrk_args = ["-t", "2", "-c", str(args.connections), "-d", f"{args.duration}s", "--latency"]

            def award_run(duration: list[str], first_pair: int, on: str = base) -> dict[str, float]:
                return run_wrk([*duration, "-s", str(ROOT / "bench" / "award_wrk.lua"), on, "--",
                                demo["api_key"], rules["follow_on_instagram"], rules["join_newsletter"],
                                str(args.customers), "2", str(first_pair)])

            # Warm-up of both paths (each worker's pools, prepared statements and caches), not counted.
            run_wrk([*wrk_args[:-2], "3s", base + "/healthz"])
            awarded = int(award_run([*wrk_args[:-2], "3s"], 0)["next_pair"])
            if floor is not None:
                awarded = int(award_run([*wrk_args[:-2], "3s"], awarded, floor.base)["next_pair"])
            rounds: list[dict[str, Any]] = []
            for _ in range(args.rounds):
                healthz = run_wrk([*wrk_args, base + "/healthz"])
                award = award_run(wrk_args, awarded)
                awarded = int(award.pop("next_pair"))
                sql = run_pgbench(pgbench)
                rounds.append({
                    "healthz": healthz, "award": award, "award_sql_without_app": sql,
                    "ratio_award_to_healthz": round(award["requests_per_s"] / healthz["requests_per_s"], 3),
                    "ratio_award_sql_to_healthz": round(sql["transactions_per_s"] / healthz["requests_per_s"], 3),
                })
                if floor is not None:
                    floor_award = award_run(wrk_args, awarded, floor.base)
                    awarded = int(floor_award.pop("next_pair"))
                    rounds[-1]["floor_award"] = floor_award
                    rounds[-1]["ratio_floor_award_to_healthz"] = round(
                        floor_award["requests_per_s"] / healthz["requests_per_s"], 3)
        finally:
            stop(server, floor)

    report = {
        "machine": machine(),
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "wrk": {"threads": 2, "connections": args.connections, "duration_s": args.duration},
        "rounds": rounds,
        "ratio_award_to_healthz": round(statistics.median(r["ratio_award_to_healthz"] for r in rounds), 3),
        "ratio_award_sql_to_healthz": round(statistics.median(r["ratio_award_sql_to_healthz"] for r in rounds), 3),
    }
    if args.floor:
        report["ratio_floor_award_to_healthz"] = round(
            statistics.median(r["ratio_floor_award_to_healthz"] for r in rounds), 3)
    print(json.dumps(report, indent=2))


class Floor(NamedTuple):
    process: subprocess.Popen[bytes]
    base: str


def start_floor(gunicorn: list[str], database_url: str, shop: str) -> Floor:
    """bench/floor_app.py under the same gunicorn settings as the app, up and answering."""
    port = free_port()
    process = subprocess.Popen(
        [*gunicorn, "bench.floor_app:app", "--bind", f"127.0.0.1:{port}"], cwd=ROOT,
        env={**os.environ, "BENCH_FLOOR_DATABASE_URL": database_url, "BENCH_FLOOR_SHOP": shop})
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/healthz", timeout=180)
    return Floor(process, base)


def stop(server: subprocess.Popen[bytes], floor: Floor | None) -> None:
    """The app's gunicorn and the floor's, when one runs."""
    for process in (server, *((floor.process,) if floor else ())):
        process.terminate()
        process.wait(timeout=30)


class fresh_database:
    """A database of the bench's own on the given server, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"loyalty_bench_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *_: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def analyze(database_url: str) -> None:
    """Statistics, as autovacuum would have gathered by now: without them the planner takes a shop of
    thousands of members for a few rows, and finds a member by walking them in age order. The ledger
    holds a history by then: each worker's connection plans its foreign-key checks once, and a plan
    made while the ledger looked empty scans the whole ledger for every outbox row until autovacuum
    (off on this machine) analyzes it again."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def run_wrk(arguments: list[str]) -> dict[str, float]:
    output = subprocess.run(["wrk", *arguments], check=True, capture_output=True, text=True).stdout
    result = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for label, key in (("50%", "p50_ms"), ("99%", "p99_ms")):
        match = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)\b", output)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[key] = round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    for label, key in (("NOT_CREATED", "not_201"), ("NEXT_PAIR", "next_pair")):
        match = re.search(rf"{label} (\d+)", output)
        if match:
            result[key] = int(match.group(1))
    return result


def pgbench_command(database_url: str, demo: dict[str, Any], rule_id: str, args: argparse.Namespace,
                    script: Path) -> list[str]:
    """pgbench running the award's statement alone against the same database and members."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        shop_id = connection.execute(text("SELECT id FROM shops WHERE domain = :domain"),
                                     {"domain": demo["shop"]}).scalar_one()
    engine.dispose()
    url = make_url(database_url)
    variables = {"shop": shop_id, "rule": rule_id, "claimed": "false", "now": "2026-01-01T00:00:00Z",
                 "expiry_at": "2027-01-01T00:00:00Z"}
    script.write_text(award_script(args.customers, set(variables)))
    return ["pgbench", "-n", "-M", "prepared", "-c", str(args.workers), "-j", "2", "-T", str(args.duration),
            "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
            "-f", str(script), *(f"-D{name}={value}" for name, value in variables.items()), url.database or ""]


def award_script(members: int, given: set[str]) -> str:
    """The award's statement as the app sends it (``compiled_once``), as a pgbench script: a random
    member named by Shopify id, fresh ids and a fresh dedupe key each time, so every run writes."""
    statement = compiled_once(AWARD_STATEMENTS["shopify_id"].together, psycopg_dialect())
    drawn = {"value": f"random({MEMBER_ID_BASE + 1}, {MEMBER_ID_BASE + members})",
             **{name: "random(1, 1000000000000000)" for name in
                ("entry_id", "activity_id", "tier_activity_id", "dedupe_key")}}
    postgresql = psycopg_dialect()
    sql = statement.compile().string
    for name, parameter in statement.element._bindparams.items():
        if name not in given and name not in drawn:  # NULL in an award (no order)
            sql = re.sub(rf":{name}\b", "NULL", sql)
        elif not isinstance(parameter.type, NullType):
            # psycopg sends each parameter typed; pgbench's come untyped.
            sql = re.sub(rf":{name}\b", f"CAST(:{name} AS {parameter.type.compile(dialect=postgresql)})", sql)
    return "".join(f"\\set {name} {value}\n" for name, value in drawn.items()) + " ".join(sql.split()) + ";\n"


def run_pgbench(command: list[str]) -> dict[str, float]:
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"pgbench failed: {finished.stderr}")
    output = finished.stdout
    tps = re.search(r"tps = ([\d.]+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    return {"transactions_per_s": float(tps.group(1)) if tps else 0.0,
            "latency_avg_ms": float(latency.group(1)) if latency else 0.0,
            "failed": int(failed.group(1)) if failed else 0}


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    return f"{os.cpu_count()} cores, {cpu}"


if __name__ == "__main__":
    main()
