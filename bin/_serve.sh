# Sourced by bin/dev and bin/shopify-dev (after _venv.sh): the web server and a worker side by side,
# started together and stopped together.
#   serve_refuse_taken_port PORT  exits with a clear message when something listens on PORT already
#   serve_start PORT [gunicorn options]  starts the worker and gunicorn in the background and returns
#       once the app answers GET /healthz (exits if gunicorn stops first)
#   serve_wait  waits for gunicorn; Ctrl-C, SIGTERM, SIGHUP or gunicorn stopping stops both, then the
#       embedded Redis

SERVE_PIDS=()

serve_refuse_taken_port() {
  # The same bind gunicorn will make (with SO_REUSEADDR, as gunicorn sets it), so a port held by
  # anything listening, on 127.0.0.1 or on every address, is refused here and not after a success banner.
  if ! python - "$1" <<'PY'
import socket, sys
probe = socket.socket()
probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    probe.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
  then
    echo "Port $1 is in use (is another bin/dev running?). Stop what listens there, or pick another port: PORT=$(($1 + 1)) $0" >&2
    exit 1
  fi
}

serve_stop() {
  trap - EXIT HUP INT TERM
  # SIGTERM lets each one finish as it should (gunicorn's requests, the worker's current job), one
  # after the other, the web server first: an embedded Redis is shut down by the client that leaves
  # it last, and processes leaving together could each see another still there.
  local index
  for ((index = ${#SERVE_PIDS[@]} - 1; index >= 0; index--)); do
    kill -TERM "${SERVE_PIDS[index]}" 2>/dev/null || true
    wait "${SERVE_PIDS[index]}" 2>/dev/null || true
  done
  # Then the embedded Redis (no REDIS_URL) itself, if it outlived them: a client leaving while another
  # one (the worker's scheduler process) is still connected leaves it running.
  python - <<'PY' || true
import json
import redis
from shopify_app.config import Config

config = Config.from_env()
settings = config.instance_path / "redis.db.settings"
if not config.redis_url and settings.is_file():
    try:
        redis.Redis(unix_socket_path=json.loads(settings.read_text())["unixsocket"], socket_timeout=5).shutdown()
    except (redis.RedisError, OSError, ValueError, KeyError):
        pass  # gone already
PY
}

serve_start() {
  local port="$1"
  shift
  trap serve_stop EXIT
  trap 'serve_stop; exit 129' HUP
  trap 'serve_stop; exit 130' INT
  trap 'serve_stop; exit 143' TERM
  # Each in a process group of its own (job control on while they start), so Ctrl-C reaches this script
  # alone and each process gets exactly one SIGTERM from serve_stop: a second signal is RQ's "stop now".
  set -m
  # The worker relays the outbox and runs the sync, webhook and scheduled jobs.
  flask --app wsgi worker &
  SERVE_PIDS+=("$!")
  gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$port" "$@" &
  SERVE_WEB_PID=$!
  SERVE_PIDS+=("$SERVE_WEB_PID")
  set +m
  for _ in $(seq 300); do
    if ! kill -0 "$SERVE_WEB_PID" 2>/dev/null; then
      echo "The web server stopped while starting (its error is above)." >&2
      exit 1
    fi
    if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "http://127.0.0.1:$port/healthz" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "The web server did not answer on port $port within 30 s." >&2
  exit 1
}

serve_wait() {
  # `wait` returns early for a trapped signal, whose trap then stops everything.
  wait "$SERVE_WEB_PID" || true
}
