"""A redis-server of the test's own, to stop, start or hang (the shared one is never touched)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis


class OwnRedis:
    def __init__(self, *options: str) -> None:
        # A short directory: unix socket paths are limited to about 100 characters.
        self.dir = Path(tempfile.mkdtemp(prefix="rds", dir="/tmp"))
        self.socket = self.dir / "r.sock"
        self.url = f"unix://{self.socket}"
        self.options = options
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir), *self.options],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url).ping():
                    return self
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def hang(self) -> None:
        """SIGSTOP: the server keeps its socket and accepts connections but answers nothing."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def close(self) -> None:
        if self.process is not None:
            self.resume()  # a hung server would not act on SIGTERM
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> OwnRedis:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()
