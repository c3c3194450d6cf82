"""Benchmark (not a test): p99 of GET /proxy/customer under load, and the widget's gzipped size.

Runs gunicorn on loopback against a PostgreSQL database of its own (created and dropped here)
seeded with the demo shop and N members, then sends a bounded number of signed requests.

    .venv/bin/python bench/proxy.py [--requests 6000] [--concurrency 4] [--workers 4] [--members 10000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shopify_app.config import normalize_database_url  # noqa: E402
from shopify_app.devtools.demo import DEMO_SHOP, MEMBER_ID_BASE  # noqa: E402
from tests.proxy.signing import signed_query  # noqa: E402

WIDGET_ASSETS = ROOT / "extensions" / "loyalty-widget" / "assets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_load(
    base: str, secret: str, members: int, total: int, concurrency: int, limit_s: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + limit_s
    remaining = iter(range(total))

    def worker() -> None:
        nonlocal failures
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < deadline:
                with lock:
                    if next(remaining, None) is None:
                        return
                customer = str(MEMBER_ID_BASE + random.randint(1, members)) if members else "1001"
                url = f"{base}/proxy/customer?{signed_query(customer, shop=DEMO_SHOP, secret=secret)}"
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        failures += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def widget_sizes() -> dict[str, int]:
    sizes = {path.name: len(gzip.compress(path.read_bytes(), 9)) for path in sorted(WIDGET_ASSETS.iterdir())}
    sizes["total"] = len(gzip.compress(b"".join(p.read_bytes() for p in sorted(WIDGET_ASSETS.iterdir())), 9))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-server", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=6_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds of load at most")
    args = parser.parse_args()

    server_url = normalize_database_url(args.database_server)
    name = f"loyalty_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    secret = secrets.token_hex(32)
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": make_url(server_url).set(database=name).render_as_string(hide_password=False),
        "REDIS_URL": args.redis_url,
        "SHOPIFY_API_KEY": "bench-api-key",
        "SHOPIFY_API_SECRET": secret,
        "SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_PATH": str(ROOT / "instance" / "bench"),
    }
    server = None
    try:
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*flask, "demo", "seed", "--json", "--customers", str(args.members)], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        run_load(base, secret, args.members, 300, args.concurrency, 30)  # warm-up: pools, caches
        started = time.monotonic()
        latencies, failures = run_load(base, secret, args.members, args.requests, args.concurrency, args.time_limit)
        wall = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    ms = [value * 1000 for value in latencies]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}, load average {load}")
    print(f"GET /proxy/customer: {len(ms)} ok, {failures} failed, {args.concurrency} clients, "
          f"{args.workers} gunicorn workers, {args.members} members, {wall:.1f} s, {len(ms) / wall:.0f} req/s")
    print(f"latency ms: p50 {statistics.median(ms):.1f}, p90 {percentile(ms, 0.90):.1f}, "
          f"p99 {percentile(ms, 0.99):.1f}, max {max(ms):.1f}")
    print("widget gzipped bytes: " + ", ".join(f"{key} {value}" for key, value in widget_sizes().items()))


if __name__ == "__main__":
    main()
