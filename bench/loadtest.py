"""Load-test the real stack: gunicorn, PostgreSQL and Redis, driven by locust (on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk \\
        .venv/bin/python bench/loadtest.py --users 20 --run-time 60s   # after bench/seed.py

Starts gunicorn on 127.0.0.1 over the seeded ``<name>_bench`` database with Redis as
broker and cache (a Redis database of its own, ``--redis-db``), waits for ``/healthz``,
runs locust headless for ``--run-time`` with the mix of ``locustfile.py`` (agents,
integrations, portal users), prints locust's table (requests per second, latency
percentiles, failures) and stops gunicorn. Tasks the site queues go to that Redis
database and are removed afterwards: no worker runs, so the figures are the web tier's.
Needs the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from database import (
    BENCH_INTEGRATION,
    BENCH_PASSWORD,
    ROOT,
    bench_database_url,
    setup_django,
)

BIN = Path(sys.executable).parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--run-time", default="60s", help="how long to run (default 60s)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server")
    parser.add_argument("--redis-db", type=int, default=15, help="Redis database to use")
    return parser.parse_args()


def bench_facts(bench_url: str) -> dict[str, str]:
    """What the locustfile needs from the bench database: the token, how many people."""
    setup_django(bench_url)
    from rest_framework.authtoken.models import Token

    from servicedesk.core.models import Team, User

    token = Token.objects.filter(user__username=BENCH_INTEGRATION).values_list("key", flat=True)
    if not token:
        raise SystemExit("Seed the bench database first: bench/seed.py --size 100000")
    team = Team.objects.filter(members__username=BENCH_INTEGRATION).values_list("pk", flat=True)
    return {
        "BENCH_TOKEN": token[0],
        "BENCH_TEAM": str(team[0]),
        "BENCH_PASSWORD": BENCH_PASSWORD,
        "BENCH_AGENTS": str(User.objects.filter(username__regex=r"^agent\d+$").count()),
        "BENCH_END_USERS": str(User.objects.filter(username__regex=r"^user\d+$").count() + 1),
    }


def wait_for(url: str, seconds: float, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start (exit code {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s")


def clear_queue(redis_url: str) -> None:
    """Drop what the site queued (no worker consumed it) from the load test's database."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("celery*"):
        client.delete(key)
    for key in client.scan_iter("_kombu.binding.*"):
        client.delete(key)


def main() -> None:
    args = parse_args()
    _server_url, bench_url = bench_database_url()
    facts = bench_facts(bench_url)
    broker = f"{args.redis}/{args.redis_db}"
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "CELERY_BROKER_URL": broker,
        "CACHE_URL": broker.replace("redis://", "rediscache://", 1),
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    address = f"127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "servicedesk.wsgi:application",
            "--bind",
            address,
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"http://{address}/healthz", 60, server)
        print(
            f"gunicorn ({args.workers} workers) on {address}; locust: {args.users} users "
            f"for {args.run_time}",
            flush=True,
        )
        locust = subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--host",
                f"http://{address}",
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env={**os.environ, **facts},
            check=False,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        clear_queue(broker)
        print("gunicorn stopped")
    # locust exits 1 when any request failed: the table above says which.
    sys.exit(locust.returncode)


if __name__ == "__main__":
    main()
