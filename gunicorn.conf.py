"""gunicorn's settings wherever the app is served: the README's production command, bin/dev, bin/shopify-dev.

Bind with ``--bind`` (or gunicorn's ``PORT``); size with ``WEB_CONCURRENCY`` (processes) and
``WEB_THREADS`` (threads each). The worker class reads every request in full before a thread takes
it (shopify_app/web_worker.py), so slow clients cannot hold the threads."""

import os

wsgi_app = "wsgi:app"
worker_class = "shopify_app.web_worker.BufferingThreadWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# Idle kept-alive connections wait in the event loop, not in a thread; closed after this long.
keepalive = 5
