"""CSV import and export benchmark on PostgreSQL: `import points` of a 100,000-row generic file
(dry run, then the real run, then the same file again) and `export members` of those 100,000
members; seconds and the process's peak resident memory.

    .venv/bin/python bench/points_import.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import resource
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "points.csv"
            path.write_text("email,points\n" + "".join(f"member{i}@example.com,{i % 5000}\n"
                                                       for i in range(1, ROWS + 1)))
            print(f"seeded {ROWS:,} members; peak {peak_mb():.0f} MB before the runs")
            for label, options in (("dry run", ["--dry-run"]), ("import", []), ("same file again", [])):
                started = time.perf_counter()
                result = app.test_cli_runner().invoke(args=["import", "points", domain, str(path), *options])
                summary = result.stdout.strip().splitlines()[-1]
                print(f"{label}: {time.perf_counter() - started:.1f} s, peak {peak_mb():.0f} MB: {summary}")
            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=["export", "members", domain])
            print(f"export members: {time.perf_counter() - started:.1f} s, {len(result.stdout.splitlines()):,} lines, "
                  f"peak {peak_mb():.0f} MB")
        engine_for(app).dispose()
    finally:
        drop_database(args.database_url, url)


if __name__ == "__main__":
    main()
