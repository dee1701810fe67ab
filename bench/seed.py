"""Seed a bench database with a realistic service desk (run on demand, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk \\
        .venv/bin/python bench/seed.py --size 100000

Recreates ``<name>_bench`` beside the database ``DATABASE_URL`` names (which is left
alone), migrates it, loads the demo organisation, then adds ``--size`` tickets over
every practice with their comments, audit history, watchers, CIs and SLA clocks, and
the people and teams who work them, with one ``INSERT … SELECT`` per table.
The other benchmarks run on it with ``--reuse``.
"""

from __future__ import annotations

import argparse
import time

from database import open_bench_database, seed

MAX_SIZE = 1_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=int, default=100_000, help=f"tickets to seed (at most {MAX_SIZE:,})"
    )
    args = parser.parse_args()
    if not 1 <= args.size <= MAX_SIZE:
        parser.error(f"--size must be between 1 and {MAX_SIZE:,}")
    return args


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    open_bench_database(reuse=False)
    print(f"bench database created and migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    seed(args.size)
    print(f"seeded in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
