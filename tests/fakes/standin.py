"""The fake Shopify as bin/dev's local stand-in: the demo shop's Admin API (discount codes, metafields).

    python -m tests.fakes.standin PORT

Serves on 127.0.0.1:PORT until SIGTERM or Ctrl-C. Production refuses to start with
SHOPIFY_ADMIN_ORIGIN set, so it never talks to this."""

from __future__ import annotations

import signal
import sys
import threading

from shopify_app.devtools.demo import STANDIN_ACCESS_TOKEN
from tests.fakes.shopify import FakeShopify


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeShopify(access_token=STANDIN_ACCESS_TOKEN, port=int(sys.argv[1])):
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
