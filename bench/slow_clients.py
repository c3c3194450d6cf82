"""Slow-client benchmark: do /healthz and signed webhooks still answer while more connections than the
server has threads send their bodies slowly, and what does reading requests in the event loop cost?

    .venv/bin/python bench/slow_clients.py [--slow 64] [--seconds 10] [--load-seconds 5] [--rounds 5]

Runs three servers side by side on 127.0.0.1: the production one (``gunicorn -c gunicorn.conf.py``),
gunicorn 23's own gthread worker with the same processes and threads, and the sync workers of the
command the app had before (``gunicorn wsgi:app --workers 2``). Phases: closed loops of 8 clients
sending signed webhooks with no slow client, the servers taking turns for ``--rounds``; then, on
each server in turn, ``--slow`` connections that send a webhook's head and trickle its body a byte
every 0.5 s (one the server drops is opened again at once) while a probe sends /healthz and a
webhook in turn (5 s timeout each); last, how long a client that stops mid-body keeps its
connection (40 s at most); and the production server on a redis-server of its own, stopped with
SIGSTOP, answering webhooks and awards. Needs redis-server on the PATH, PostgreSQL (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/postgres; a database of its own is created and dropped) and
Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/2, which is flushed). Every loop is
bounded in count and time."""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from gunicorn.config import Config as GunicornConfig
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync import bench_database  # noqa: E402
from bench.webhooks import free_port, percentile, signed  # noqa: E402
from shopify_app.web_worker import body_length  # noqa: E402
from tests.jobs.own_redis import OwnRedis  # noqa: E402

MEMBERS = 2000  # distinct customers to award while Redis is hung

SERVERS = {
    "production (gunicorn.conf.py)": ["-c", "gunicorn.conf.py"],
    "gunicorn 23 gthread, same processes and threads": ["-c", "gunicorn.conf.py", "--worker-class", "gthread"],
    "previous command: 2 sync workers": ["wsgi:app", "--workers", "2", "--config", "/dev/null"],
}


@contextmanager
def server(arguments: list[str], env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", *arguments, "--bind", f"127.0.0.1:{port}",
                                "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True)
    try:
        for _ in range(300):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, float]:
    """(status, seconds); status 0 when the request failed or timed out."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - started


def summary(samples: list[tuple[int, float]], ok: int) -> dict[str, float]:
    answered = [seconds * 1000 for status, seconds in samples if status == ok]
    return {"sent": len(samples), "ok": len(answered), "failed": len(samples) - len(answered),
            "p50_ms": round(statistics.median(answered), 1) if answered else -1,
            "p99_ms": round(percentile(answered, 0.99), 1) if answered else -1,
            "max_ms": round(max(answered), 1) if answered else -1}


def closed_loop(port: int, seconds: float, first_id: int, clients: int = 8) -> dict[str, float]:
    """Signed webhooks, each client sending its next as soon as the last is answered, on one connection."""
    samples: list[tuple[int, float]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        order_id = first_id + index * 1_000_000
        while time.perf_counter() < deadline:
            body, headers = signed(order_id)
            order_id += 1
            started = time.perf_counter()
            try:
                connection.request("POST", "/webhooks", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status = 0
            with lock:
                samples.append((status, time.perf_counter() - started))
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**summary(samples, 200), "per_s": round(len(samples) / seconds)}


def slow_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{")
    return sock


def under_slow_clients(port: int, slow: int, seconds: float, first_id: int) -> dict[str, object]:
    """The probe's answers while ``slow`` connections trickle; one the server drops is opened again at once."""
    sockets = [slow_body(port) for _ in range(slow)]
    dropped = 0
    done = threading.Event()

    def trickle() -> None:
        nonlocal dropped
        while not done.wait(0.5):
            for i, sock in enumerate(sockets):
                try:
                    sock.send(b" ")
                except OSError:
                    sock.close()
                    sockets[i] = slow_body(port)
                    dropped += 1

    trickler = threading.Thread(target=trickle)
    trickler.start()
    healthz: list[tuple[int, float]] = []
    webhooks: list[tuple[int, float]] = []
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            healthz.append(request(port, "GET", "/healthz"))
            body, headers = signed(first_id + len(webhooks))
            webhooks.append(request(port, "POST", "/webhooks", body, headers))
            time.sleep(0.1)
    finally:
        done.set()
        trickler.join()
        for sock in sockets:
            sock.close()
    return {"healthz": summary(healthz, 200), "webhooks": summary(webhooks, 200), "slow_dropped_by_server": dropped}


def with_redis_hung(env: dict[str, str], demo: dict[str, object], seconds: float, first_id: int) -> dict[str, object]:
    """The production server on a redis-server of its own, stopped with SIGSTOP (hung, not dead) once warm:
    a probe sends a webhook and an award in turn (10 s timeout each)."""
    rule = next(r for r in demo["earning_rules"] if r["action"] == "follow_on_instagram")  # type: ignore[attr-defined]
    award_headers = {"Authorization": str(demo["api_key"]), "Content-Type": "application/json"}
    webhooks: list[tuple[int, float]] = []
    awards: list[tuple[int, float]] = []
    with OwnRedis() as own, server(["-c", "gunicorn.conf.py"], {**env, "REDIS_URL": own.url}) as port:
        closed_loop(port, 1, first_id)
        own.hang()
        try:
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline and len(awards) < MEMBERS:
                body, headers = signed(first_id + 10_000_000 + len(webhooks))
                webhooks.append(request(port, "POST", "/webhooks", body, headers, timeout=10))
                customer = json.dumps({"customer_identifier": f"member{len(awards) + 1}@example.com"}).encode()
                awards.append(request(port, "POST", f"/v1/earning-rules/{rule['id']}/award", customer,
                                      award_headers, timeout=10))
        finally:
            own.resume()
    return {"webhooks": summary(webhooks, 200), "awards": summary(awards, 201)}


def head_parse_us(repeat: int = 20000) -> float:
    """What the event loop adds per request: gunicorn's parse of a signed webhook's head, once more."""
    body, headers = signed(1)
    head = (f"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n").encode()
    cfg = GunicornConfig()
    return round(timeit.timeit(lambda: body_length(cfg, head, ("127.0.0.1", 1)), number=repeat) / repeat * 1e6, 1)


def stopped_client_kept(port: int, limit: float = 40) -> float:
    """Seconds until the server closes a connection whose body stopped half way (``limit`` if never)."""
    sock = slow_body(port)
    sock.settimeout(limit)
    started = time.perf_counter()
    try:
        sock.recv(1)
    except OSError:
        pass
    finally:
        sock.close()
    return round(time.perf_counter() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=64, help="connections trickling a body (at most 500)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the slow clients last (at most 120)")
    parser.add_argument("--load-seconds", type=float, default=5.0, help="each closed-loop run (at most 60)")
    parser.add_argument("--rounds", type=int, default=5, help="closed-loop runs per server, alternating (at most 20)")
    args = parser.parse_args()
    if args.slow > 500 or args.seconds > 120 or args.load_seconds > 60 or args.rounds > 20:
        parser.error("bounded to 500 slow connections, 120 s of them, 20 rounds of 60 s of load")

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    redis = Redis.from_url(redis_url)
    print(json.dumps({"machine": f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
                                 f"Python {platform.python_version()}", "load_average": os.getloadavg()}), flush=True)
    with bench_database() as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "APP_ENV": "development",
               "PYTHONPATH": str(ROOT)}
        redis.flushdb()
        try:
            measure(args, env)
        finally:
            redis.flushdb()
    print(json.dumps({"load_average": os.getloadavg()}), flush=True)


def measure(args: argparse.Namespace, env: dict[str, str]) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = subprocess.run([*flask, "demo", "seed", "--json", "--customers", str(MEMBERS)], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True)
    ids = itertools.count(1_000_000_000, 1_000_000_000)
    with ExitStack() as stack:
        ports = {label: stack.enter_context(server(arguments, env)) for label, arguments in SERVERS.items()}
        for port in ports.values():
            closed_loop(port, 1, next(ids))  # warm-up: every worker's pools and first requests
        rates: dict[str, list[float]] = {label: [] for label in ports}
        for _ in range(args.rounds):  # alternating, so the machine's drift falls on every server alike
            for label, port in ports.items():
                rates[label].append(closed_loop(port, args.load_seconds, next(ids))["per_s"])
        slow = {label: under_slow_clients(port, args.slow, args.seconds, next(ids)) for label, port in ports.items()}
        with ThreadPoolExecutor(len(ports)) as pool:
            kept = dict(zip(ports, pool.map(stopped_client_kept, ports.values()), strict=True))
    for label in ports:
        print(json.dumps({"server": label, "webhooks_per_s_no_slow_clients": rates[label],
                          "median_per_s": statistics.median(rates[label]),
                          f"with_{args.slow}_slow_clients": slow[label], "stopped_client_kept_s": kept[label]}),
              flush=True)
    print(json.dumps({"head_parse_us": head_parse_us()}), flush=True)
    hung = with_redis_hung(env, json.loads(seeded.stdout), args.seconds, next(ids))
    print(json.dumps({"production, Redis hung": hung}), flush=True)

if __name__ == "__main__":
    main()
