"""Instructions the app runs per member read (GET /proxy/customer, GET /v1/customers/{id}) and per
GET /healthz, counted by valgrind's callgrind; or, with --profile, where a few thousand of them spend.

The sibling of bench/award_instructions.py for the reads, measured the same way: the app in-process
(Flask test client) against a PostgreSQL database of its own, each figure the difference between a
run of W and a run of W + N requests, so start-up and warm-up cancel out. Each read asks for a member
the run has not asked for. The storefront's signed paths are signed before the first request, as many
in every run, so signing is not counted. Counts the app's process only, not PostgreSQL's or Redis's.
Not a test: see docs/benchmarks.md.

    python bench/read_instructions.py [--requests 100] [--profile 3000] [--endpoints proxy_customer api_customer]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.award import VENV_BIN, fresh_database, machine  # noqa: E402
from bench.award_instructions import counted  # noqa: E402

WARM_UP = 30
ENDPOINTS = ("proxy_customer", "api_customer", "healthz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS),
                        help="count only these (each run's count is load-independent, so runs compare)")
    parser.add_argument("--profile", type=int, metavar="REQUESTS",
                        help="instead of counting, profile this many requests of each read with cProfile")
    parser.add_argument("--send", nargs=3, metavar=("ENDPOINT", "SIGNED", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        send(args.send[0], int(args.send[1]), int(args.send[2]))
        return
    if args.profile is None and not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install -y valgrind")

    members = args.profile or 2 * WARM_UP + args.requests
    with fresh_database(args.database_server) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "APP_ENV": "development",
               "PYTHONHASHSEED": "0", "API_RATE_LIMIT": "1000000", "PROXY_RATE_LIMIT": "1000000"}
        flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        demo = json.loads(subprocess.run([*flask, "demo", "seed", "--json", "--customers", str(members)],
                                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)
        env["BENCH_API_KEY"] = demo["api_key"]
        if args.profile:
            for endpoint in ENDPOINTS[:2]:
                subprocess.run([sys.executable, __file__, "--send", endpoint, str(args.profile), str(-args.profile)],
                               cwd=ROOT, env=env, check=True)
            return
        figures = {endpoint: per_request(env, endpoint, args.requests) for endpoint in args.endpoints}

    ratios = ({f"ratio_{endpoint}_to_healthz": round(figures[endpoint] / figures["healthz"], 2)
               for endpoint in ENDPOINTS[:2] if endpoint in figures} if "healthz" in figures else {})
    print(json.dumps({
        "machine": machine(),
        "requests_counted": args.requests,
        **{f"instructions_per_{endpoint}": figure for endpoint, figure in figures.items()},
        **ratios,
    }, indent=2))


def per_request(env: dict[str, str], endpoint: str, requests: int) -> int:
    signed = WARM_UP + requests
    short = instructions(env, endpoint, signed, WARM_UP)
    long = instructions(env, endpoint, signed, WARM_UP + requests)
    return (long - short) // requests


def instructions(env: dict[str, str], endpoint: str, signed: int, count: int) -> int:
    return counted(env, __file__, "--send", endpoint, str(signed), str(count))


def send(endpoint: str, signed: int, count: int) -> None:
    """The measured process: ``count`` requests, each for a member not read before; a negative count
    profiles that many and prints where they spent."""
    from shopify_app import create_app
    from shopify_app.devtools.demo import DEMO_SHOP, MEMBER_ID_BASE
    from tests.proxy.signing import signed_query

    client = create_app().test_client()
    members = [str(MEMBER_ID_BASE + 1 + member) for member in range(signed)]
    if endpoint == "proxy_customer":
        paths = [f"/proxy/customer?{signed_query(member, shop=DEMO_SHOP)}" for member in members]
    else:
        paths = [f"/v1/customers/{member}" for member in members]
    headers = {"Authorization": os.environ["BENCH_API_KEY"]}

    def run(paths: list[str]) -> None:
        for path in paths:
            response = client.get(path, headers=headers) if endpoint != "healthz" else client.get("/healthz")
            if response.status_code != 200:
                sys.exit(f"{endpoint} answered {response.status_code}: {response.get_data(as_text=True)}")

    if count >= 0:
        run(paths[:count])
        return
    run(paths[:WARM_UP])
    profile = cProfile.Profile()
    profile.runcall(run, paths[WARM_UP:])
    print(f"\n=== {endpoint}: {len(paths) - WARM_UP} requests")
    kept = Path(tempfile.gettempdir()) / f"read_instructions_{endpoint}.prof"
    profile.dump_stats(kept)
    print(f"(the whole profile: {kept})")
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
