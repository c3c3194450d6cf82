"""The fake Shopify as bin/dev's local stand-in: the demo shop's Admin API (discount codes, metafields).

    python -m tests.fakes.standin PORT

Serves on 127.0.0.1:PORT until SIGTERM or Ctrl-C. Production refuses to start with
SHOPIFY_ADMIN_ORIGIN set, so it never talks to this."""

from __future__ import annotations

import signal
import sys

from shopify_app.devtools.demo import STANDIN_ACCESS_TOKEN
from tests.fakes.shopify import FakeShopify


def main() -> None:
    # SIGTERM as SystemExit in the main thread, so the server's context closes it; waiting on an
    # Event here would sleep through the signal.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with FakeShopify(access_token=STANDIN_ACCESS_TOKEN, port=int(sys.argv[1])):
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
