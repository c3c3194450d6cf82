"""CSV import and export benchmark on PostgreSQL: `import points` of a 100,000-row generic file
(dry run, then the real run, then the same file again), `export members` of those 100,000 members
and `export ledger`; each step a `flask` process of its own, timed, with its own peak resident memory.

    .venv/bin/python bench/points_import.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.admin import drop_database, fresh_database  # noqa: E402
from shopify_app import create_app, migrations  # noqa: E402
from shopify_app.config import Config  # noqa: E402
from shopify_app.db import engine_for, sessionmaker_for  # noqa: E402
from shopify_app.devtools import demo  # noqa: E402

ROWS = 100_000


# The child reports its own peak: VmHWM belongs to the program exec'd, while ru_maxrss would keep the
# peak of this process, which forked it after seeding.
CHILD = ("import atexit, sys\n"
         "from flask.cli import main\n"
         "atexit.register(lambda: print(next(line.split()[1] for line in open('/proc/self/status')\n"
         "                                   if line.startswith('VmHWM')), file=sys.stderr))\n"
         "sys.argv[0] = 'flask'\n"
         "main()\n")


def flask(url: str, redis_url: str, *args: str) -> tuple[float, float, list[str]]:
    """``flask --app wsgi ARGS`` in a process of its own: seconds, its peak RSS in MB, its output lines."""
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "APP_ENV": "test"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
    return seconds, int(done.stderr.split()[-1]) / 1024, done.stdout.splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    try:
        app = create_app(Config(env="test", database_url=url, redis_url=args.redis_url))
        migrations.upgrade(engine_for(app))
        with sessionmaker_for(app).begin() as session:
            shop = demo.seed(session, app.config["LOYALTY"].shopify_api_secret).shop
            demo.add_members(session, shop, ROWS)
            domain = shop.domain
        engine_for(app).dispose()
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "points.csv"
            path.write_text("email,points\n" + "".join(f"member{i}@example.com,{i % 5000}\n"
                                                       for i in range(1, ROWS + 1)))
            seconds, peak, _ = flask(url, args.redis_url, "routes")
            print(f"seeded {ROWS:,} members; a flask process that only loads the app: peak {peak:.0f} MB")
            for label, options in (("dry run", ["--dry-run"]), ("import", []), ("same file again", [])):
                seconds, peak, lines = flask(url, args.redis_url, "import", "points", domain, str(path), *options)
                print(f"{label}: {seconds:.1f} s, peak {peak:.0f} MB: {lines[-1]}")
            for table in ("members", "ledger"):
                seconds, peak, lines = flask(url, args.redis_url, "export", table, domain)
                print(f"export {table}: {seconds:.1f} s, {len(lines):,} lines, peak {peak:.0f} MB")
    finally:
        drop_database(args.database_url, url)


if __name__ == "__main__":
    main()
