"""A threaded HTTP server for a fake service: records requests, injects faults, can hang or go down."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    at: float = field(default_factory=time.monotonic)


class FakeServer:
    """Subclasses answer in ``handle``; ``fail`` queues error answers, ``down`` answers 500 to everything;
    ``during`` (if set) runs for each request before it is answered, while the caller waits."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.faults: list[tuple[str, int, dict[str, str], Any]] = []
        self.down = False
        self.hang_path: str | None = None
        self.hang_started = threading.Event()
        self.release = threading.Event()
        self.during: Callable[[Recorded], None] | None = None
        self._server = make_server("127.0.0.1", port, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, path: str, status: int, headers: dict[str, str] | None = None, body: Any = None,
             times: int = 1) -> None:
        self.faults.extend([(path, status, headers or {}, body)] * times)

    def hang(self, path: str) -> None:
        """The next request to ``path`` blocks until ``release`` is set (a worker to kill meanwhile)."""
        self.hang_path = path

    def received(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or r.path == path)]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        recorded = Recorded(request.method, request.path, dict(request.args), dict(request.headers),
                            json.loads(body) if body else None)
        with self.lock:
            self.requests.append(recorded)
            fault = next((f for f in self.faults if request.path.startswith(f[0])), None)
            if fault:
                self.faults.remove(fault)
        if self.during is not None:
            self.during(recorded)
        if self.hang_path and request.path.startswith(self.hang_path):
            self.hang_path = None
            self.hang_started.set()
            self.release.wait(30)
        if self.down:
            response = Response("unavailable", status=500)
        elif fault:
            response = json_response(fault[3] or {"error": "injected"}, fault[1], fault[2])
        else:
            response = self.handle(recorded)
        return response(environ, start_response)

    def handle(self, request: Recorded) -> Response:
        raise NotImplementedError


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> Response:
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type=content_type)


class Window:
    """A sliding-window request counter, as vendors enforce their limits."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.times: list[float] = []
        self.lock = threading.Lock()

    def admit(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.times = [t for t in self.times if t > now - self.seconds]
            if len(self.times) >= self.limit:
                return False
            self.times.append(now)
            return True
