"""Instructions the app runs per award and per GET /healthz, counted by valgrind's callgrind.

Counts, not seconds: the same code and inputs give the same figure whatever else the machine is
doing, so two versions of the award compare fairly on a busy shared machine where timings swing
by a third. The app runs in-process (Flask test client) against a PostgreSQL database of its
own; each figure is the difference between a run of W and a run of W + N requests, so start-up
and warm-up cancel out. Counts the app's process only, not PostgreSQL's. Not a test: see
docs/benchmarks.md.

    python bench/award_instructions.py [--requests 100]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.award import VENV_BIN, fresh_database, machine  # noqa: E402

WARM_UP = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--send", nargs=3, metavar=("ENDPOINT", "FIRST_MEMBER", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        send(args.send[0], int(args.send[1]), int(args.send[2]))
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install -y valgrind")

    with fresh_database(args.database_server) as database_url:
        # A fixed hash seed: string hashing otherwise varies the count from run to run.
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis_url, "APP_ENV": "development",
               "PYTHONHASHSEED": "0", "API_RATE_LIMIT": "1000000"}  # no 429 from the per-key limit
        flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        members = 2 * WARM_UP + args.requests
        demo = json.loads(subprocess.run([*flask, "demo", "seed", "--json", "--customers", str(members)],
                                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)
        env["BENCH_API_KEY"] = demo["api_key"]
        env["BENCH_RULE_ID"] = next(rule["id"] for rule in demo["earning_rules"]
                                    if rule["action"] == "follow_on_instagram")
        figures = {endpoint: per_request(env, endpoint, args.requests) for endpoint in ("award", "healthz")}

    print(json.dumps({
        "machine": machine(),
        "requests_counted": args.requests,
        "instructions_per_award": figures["award"],
        "instructions_per_healthz": figures["healthz"],
        "ratio_award_to_healthz": round(figures["award"] / figures["healthz"], 2),
    }, indent=2))


def per_request(env: dict[str, str], endpoint: str, requests: int) -> int:
    short = instructions(env, endpoint, 0, WARM_UP)
    long = instructions(env, endpoint, WARM_UP, WARM_UP + requests)
    return (long - short) // requests


def instructions(env: dict[str, str], endpoint: str, first_member: int, count: int) -> int:
    return counted(env, __file__, "--send", endpoint, str(first_member), str(count))


def counted(env: dict[str, str], script: str, *arguments: str) -> int:
    """The instructions callgrind counts in ``script`` run with ``arguments``."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, script, *arguments]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stderr
    return int(re.search(r"Collected : (\d+)", output).group(1))  # type: ignore[union-attr]


def send(endpoint: str, first_member: int, count: int) -> None:
    """The measured process: ``count`` requests, each award for a member not awarded before."""
    from shopify_app import create_app
    from shopify_app.devtools.demo import MEMBER_ID_BASE

    client = create_app().test_client()
    for member in range(first_member, first_member + count):
        if endpoint == "award":
            response = client.post(f"/v1/earning-rules/{os.environ['BENCH_RULE_ID']}/award",
                                   headers={"Authorization": os.environ["BENCH_API_KEY"]},
                                   json={"customer_identifier": str(MEMBER_ID_BASE + 1 + member)})
            expected = 201
        else:
            response, expected = client.get("/healthz"), 200
        if response.status_code != expected:
            sys.exit(f"{endpoint} answered {response.status_code}: {response.get_data(as_text=True)}")


if __name__ == "__main__":
    main()
