"""Benchmark (not a test): GET /proxy/customer against the framework's floor (GET /healthz), and the
widget's gzipped size.

Runs gunicorn on loopback against a PostgreSQL database of its own (created and dropped here) seeded
with the demo shop and N members, drives both endpoints with wrk (same threads, connections and
duration; every /proxy/customer path freshly signed for a random member before each run) in
interleaved rounds, and prints requests/s, p50 and p99 for each and the median ratio customer/healthz.
With --floor each round also reads the same paths from bench/floor_app.py: the summary's statement with
no app around it (no signature check, no rate limit).

    .venv/bin/python bench/proxy.py [--workers 4] [--connections 16] [--duration 5] [--rounds 5] [--members 10000]
                                    [--floor]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.award import analyze, free_port, fresh_database, machine, run_wrk, start_floor, stop, wait_until_up  # noqa: E402
from shopify_app.devtools.demo import DEMO_SHOP, MEMBER_ID_BASE  # noqa: E402
from tests.proxy.signing import signed_query  # noqa: E402

WIDGET_ASSETS = ROOT / "extensions" / "loyalty-widget" / "assets"
VENV_BIN = Path(sys.executable).parent
SIGNED_PATHS = 20_000


def write_signed_paths(path: Path, members: int) -> None:
    """Signed now: a signature is good for 90 seconds, longer than a run."""
    lines = (f"/proxy/customer?{signed_query(str(MEMBER_ID_BASE + random.randint(1, members)), shop=DEMO_SHOP)}"
             for _ in range(SIGNED_PATHS))
    path.write_text("\n".join(lines) + "\n")


def widget_sizes() -> dict[str, int]:
    sizes = {path.name: len(gzip.compress(path.read_bytes(), 9)) for path in sorted(WIDGET_ASSETS.iterdir())}
    sizes["total"] = len(gzip.compress(b"".join(p.read_bytes() for p in sorted(WIDGET_ASSETS.iterdir())), 9))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=5, help="seconds per endpoint per round")
    parser.add_argument("--rounds", type=int, default=5, help="healthz and customer runs, interleaved; medians")
    parser.add_argument("--floor", action="store_true",
                        help="also read the paths from bench/floor_app.py (the statement with no app around it)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")

    paths = Path(tempfile.mkdtemp()) / "signed_paths.txt"
    with fresh_database(args.database_server) as database_url:
        # Development signs with the development secret, as tests/proxy/signing.py does; the rate limit
        # is lifted so the run measures the request, not 429s (its Redis round trip still runs).
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "APP_ENV": "development",
               "PROXY_RATE_LIMIT": "1000000"}
        flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "demo", "seed", "--json", "--customers", str(args.members)], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        analyze(database_url)
        port = free_port()
        gunicorn = [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), "--worker-class", "sync",
                    "--log-level", "warning"]
        server = subprocess.Popen([*gunicorn, "wsgi:app", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env)
        floor = start_floor(gunicorn, database_url, DEMO_SHOP) if args.floor else None
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/healthz", timeout=180)  # a busy host boots workers slowly
            wrk_args = ["-t", "2", "-c", str(args.connections), "-d", f"{args.duration}s", "--latency"]

            def paths_on(server_base: str) -> list[str]:
                return ["-s", str(ROOT / "bench" / "paths_wrk.lua"), server_base, "--", str(paths)]

            script, floor_script = paths_on(base), paths_on(floor.base) if floor else None
            write_signed_paths(paths, args.members)
            for warm_up in (script, floor_script):  # pools, caches
                if warm_up:
                    run_wrk([*wrk_args[:-2], "3s", *warm_up])
            rounds: list[dict[str, Any]] = []
            for _ in range(args.rounds):
                healthz = run_wrk([*wrk_args, base + "/healthz"])
                write_signed_paths(paths, args.members)
                customer = run_wrk([*wrk_args, *script])
                rounds.append({"healthz": healthz, "customer": customer,
                               "ratio": round(customer["requests_per_s"] / healthz["requests_per_s"], 3)})
                if floor_script:
                    floor_customer = run_wrk([*wrk_args, *floor_script])
                    rounds[-1]["floor_customer"] = floor_customer
                    rounds[-1]["floor_ratio"] = round(floor_customer["requests_per_s"] / healthz["requests_per_s"], 3)
        finally:
            stop(server, floor)

    print(json.dumps({
        "machine": f"{machine()}, load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg()),
        "gunicorn": {"workers": args.workers, "worker_class": "sync"},
        "wrk": {"threads": 2, "connections": args.connections, "duration_s": args.duration},
        "members": args.members,
        "rounds": rounds,
        "ratio_customer_to_healthz": statistics.median(r["ratio"] for r in rounds),
        **({"ratio_floor_customer_to_healthz": statistics.median(r["floor_ratio"] for r in rounds)} if floor else {}),
        "widget_gzipped_bytes": widget_sizes(),
    }, indent=2))


if __name__ == "__main__":
    main()
