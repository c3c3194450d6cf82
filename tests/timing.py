"""How long a request may take while Redis hangs, and a timer to hold it to that."""

from __future__ import annotations

import time
from typing import Any

# A request pays REQUEST_TIMEOUT (0.25 s) per Redis call it makes, a few at most, and its own work on a
# machine that may be running other suites; a client without the timeout would wait for ever.
QUICK = 2.0


def timed(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call(*args, **kwargs)
    return result, time.perf_counter() - started
