"""Webhook benchmark: signed deliveries against gunicorn + PostgreSQL, then orders/paid processing
(--jobs orders of new members, then --jobs of members already known, both queued as the intake
queues them, on the shop's list for drain jobs of 100; then --jobs of known members one job each, as
single deliveries are queued; then --jobs handed to the workers as the delivery sweep does, 100 to a job).

    .venv/bin/python bench/webhooks.py [--rate 200] [--seconds 20] [--jobs 2000] [--workers 2]
    .venv/bin/python bench/webhooks.py --rate 200 --seconds 20 --jobs 0     # the intake alone

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres; a
database of its own is created and dropped) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/2, which is flushed). Traffic goes to 127.0.0.1 only, and every loop is
bounded in count and time."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from functools import partial
from pathlib import Path

from redis import Redis
from rq.job import Job
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shopify_app.config import DEV_API_SECRET, normalize_database_url  # noqa: E402

SHOP = "demo-loyalty.myshopify.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed(order_id: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": order_id, "name": f"#{order_id}", "subtotal_price": "59.90", "total_tax": "4.80",
                       "taxes_included": False, "customer": {"id": 3_000_000 + order_id % 5000,
                                                             "email": f"buyer{order_id % 5000}@example.com"}}).encode()
    digest = base64.b64encode(hmac.new(DEV_API_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"Content-Type": "application/json", "X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": digest,
                  "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                  "X-Shopify-API-Version": "2026-10",
                  "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def open_loop(port: int, rate: float, seconds: float, first_id: int, senders: int = 24) -> dict[str, float]:
    """Deliveries sent at a fixed rate; latency counts from the planned send time, so a slow
    server cannot hide its queueing (no coordinated omission)."""
    total = int(rate * seconds)
    plan: queue.Queue[tuple[float, bytes, dict[str, str]]] = queue.Queue()
    start = time.perf_counter() + 0.5
    for i in range(total):
        plan.put((start + i / rate, *signed(first_id + i)))
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = start + seconds + 30

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
            try:
                planned, body, headers = plan.get_nowait()
            except queue.Empty:
                break
            time.sleep(max(0.0, planned - time.perf_counter()))
            try:
                connection.request("POST", "/webhooks", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status, errors_seen = 0, type(error).__name__
                with lock:
                    errors.append(errors_seen)
                continue
            with lock:
                latencies.append(time.perf_counter() - planned)
                if status != 200:
                    errors.append(str(status))
        connection.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = max(time.perf_counter() - start, 1e-9)
    return {"sent": len(latencies) + len(errors), "errors": len(errors),
            "rate": len(latencies) / min(elapsed, seconds + 30),
            "p50_ms": statistics.median(latencies) * 1000, "p95_ms": percentile(latencies, 0.95) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "max_ms": max(latencies) * 1000}


def run_workers(env: dict[str, str], redis: Redis, count: int, jobs: int, worker_class: str, timeout: float,
                profile: str | None = None) -> dict[str, float]:
    """RQ worker processes, with the app context pushed as the worker command does, draining the
    queued orders/paid jobs: ``Worker`` forks a child per job, ``SimpleWorker`` runs them in-process.
    A worker waits for jobs as a deployed one does (a drain job enqueues the next one while it runs,
    so an empty queue is not the end) and stops after a second idle; the time counts from the
    workers' start to the end of the last job. ``profile``: each worker runs under cProfile, its
    statistics written to ``<profile>.<n>``. Also from the first job's start to the last one's end, the
    workers' start-up (imports, the app, connections) left out, as a burst meets running workers."""
    code = (f"from rq.worker import {worker_class} as Worker; from rq.serializers import JSONSerializer; "
            "from wsgi import app; "
            "from shopify_app.redis_conn import get_redis; from shopify_app.jobs.webhooks import webhooks_queue; "
            "ctx = app.app_context(); ctx.push(); r = get_redis(app); "
            "Worker([webhooks_queue(r)], connection=r, serializer=JSONSerializer)"
            ".work(max_idle_time=1, logging_level='WARNING')")
    if profile:
        code = f"import cProfile; cProfile.run({code!r}, {profile!r} + '.' + __import__('sys').argv[1])"
    started = time.time()
    processes = [subprocess.Popen([sys.executable, "-c", code, str(n)], cwd=ROOT, env=env) for n in range(count)]
    for process in processes:
        process.wait(timeout=timeout)
    from shopify_app.jobs.webhooks import webhooks_queue

    finished = webhooks_queue(redis).finished_job_registry
    done = [job for job in Job.fetch_many(finished.get_job_ids(), redis, finished.serializer) if job]
    last = max(timestamp(job.ended_at) for job in done if job.ended_at)
    first = min(timestamp(job.started_at) for job in done if job.started_at)
    elapsed = last - started
    return {"jobs": jobs, "rq_jobs": len(done), "seconds": elapsed, "jobs_per_s": jobs / elapsed,
            "start_up_seconds": first - started, "jobs_per_s_from_first_job": jobs / (last - first)}


def timestamp(moment: dt.datetime) -> float:
    """RQ's naive UTC times as seconds since the epoch."""
    return moment.replace(tzinfo=moment.tzinfo or dt.timezone.utc).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2000,
                        help="orders/paid deliveries to process with RQ (0: the intake alone)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes")
    parser.add_argument("--rq-worker", choices=["Worker", "SimpleWorker"], default="SimpleWorker")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--profile", help="cProfile the workers of the known members' phase into PROFILE.<n>")
    parser.add_argument("--threads", type=int, default=8, help="gthread threads per gunicorn worker (keep-alive)")
    args = parser.parse_args()
    if args.rate * args.seconds > 20000:
        parser.error("bounded to 20,000 deliveries of intake")
    if args.jobs > 5000:
        parser.error("--jobs: at most 5,000, each order a member of its own (of the 5,000 the deliveries name)")

    server_url = normalize_database_url(os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    name = f"bench_webhooks_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "APP_ENV": "development",
           "PYTHONPATH": str(ROOT)}
    port = free_port()
    server = None
    try:
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "demo", "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                                   "--workers", str(args.gunicorn_workers), "--worker-class", "gthread",
                                   "--threads", str(args.threads), "--keep-alive", "30", "--log-level", "warning"],
                                  cwd=ROOT, env=env)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        open_loop(port, 50, 2, 10_000_000)  # warm-up: connections, imports, the Redis and DB pools
        intake = open_loop(port, args.rate, args.seconds, 1)
        print(json.dumps({"intake": intake, "rate_target": args.rate, "seconds": args.seconds}), flush=True)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None
        if not args.jobs:
            return

        engine = create_engine(normalize_database_url(database_url))
        from shopify_app import create_app
        from shopify_app.clock import utcnow
        from shopify_app.config import Config
        from shopify_app.db import sessionmaker_for
        from shopify_app.jobs.webhook_deliveries import record_delivery
        from shopify_app.jobs.webhooks import enqueue_delivery, enqueue_received, enqueue_unprocessed_deliveries
        from shopify_app.models import EarningEntry

        app = create_app(Config.from_env(env))

        def processing(first_id: int, profile: str | None = None, queued: str = "intake") -> dict[str, float]:
            """--jobs orders/paid deliveries from a queue of exactly those, drained by the workers, queued
            as the intake queues them (``intake``), one job each (``single``) or as the sweep queues
            deliveries it finds waiting, 100 to a job (``sweep``)."""
            redis.flushdb()
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM webhook_deliveries"))
            with sessionmaker_for(app).begin() as session:
                ids = []
                for i in range(args.jobs):
                    body, headers = signed(first_id + i)
                    ids.append(record_delivery(session, shop=SHOP, topic="orders/paid",
                                               webhook_id=headers["X-Shopify-Webhook-Id"],
                                               payload=json.loads(body), headers=headers))
            if queued == "sweep":
                with sessionmaker_for(app)() as session:
                    enqueue_unprocessed_deliveries(session, redis, now=utcnow() + dt.timedelta(minutes=5),
                                                   limit=args.jobs)
            else:
                enqueue = enqueue_delivery if queued == "single" else partial(enqueue_received, topic="orders/paid")
                for delivery_id in ids:
                    enqueue(redis, str(delivery_id), SHOP)
            result = run_workers(env, redis, args.workers, args.jobs, args.rq_worker, timeout=600, profile=profile)
            with sessionmaker_for(app)() as session:
                result["entries"] = session.scalar(select(func.count()).select_from(EarningEntry).where(
                    EarningEntry.order_id.like(f"{str(first_id)[:4]}%"))) or 0
            return result

        # Orders 20,000,000 on are each a new member's first (customers 0 to 4,999 by order id);
        # orders 20,010,000 on are again customers 0 to 4,999, members known from the first phase.
        new_members = processing(20_000_000)
        known_members = processing(20_010_000, args.profile)
        # Orders 20,020,000 on: known members again, one job each; 20,030,000 on: in the sweep's batches.
        single = processing(20_020_000, queued="single")
        batches = processing(20_030_000, queued="sweep")
        print(json.dumps({"processing": {"new_members": new_members, "known_members": known_members,
                                         "known_members_one_job_each": single,
                                         "known_members_in_batches": batches},
                          "workers": args.workers, "rq_worker": args.rq_worker}), flush=True)
        engine.dispose()
        from shopify_app.db import engine_for

        engine_for(app).dispose()
    finally:
        if server is not None:
            server.kill()
        redis.flushdb()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
