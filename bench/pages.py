"""Benchmark pages and API calls in-process on a seeded bench database (run on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk \\
        .venv/bin/python bench/pages.py --runs 20       # after bench/seed.py

Drives each page or endpoint through Django's test ``Client`` against ``<name>_bench``
(seeded by ``seed.py``), as the seeded agent, integration or end user, and prints one
row per benchmark: the median and 95th percentile time over ``--runs`` runs and the SQL
queries one run costs. Under the table, the plan of each benchmark's slowest SELECT
(``EXPLAIN (ANALYZE, BUFFERS)``), so that a missing index shows. Creations and
transitions change the bench database: each run works on a ticket of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from database import (
    BENCH_AGENT,
    BENCH_END_USER,
    BENCH_INTEGRATION,
    open_bench_database,
)


@dataclass
class Result:
    name: str
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    slowest_sql: str = ""
    slowest_ms: float = 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each (default 20)")
    parser.add_argument("--only", nargs="*", default=[], help="benchmarks whose name has this")
    parser.add_argument("--no-plans", action="store_true", help="print the table only")
    return parser.parse_args()


def measure(name: str, run: Callable[[int], Any], runs: int) -> Result:
    """One warm-up run, then ``runs`` timed ones, each with its queries captured.

    A benchmark whose name starts with ``once:`` runs once, untimed before: what it does
    cannot be done twice (a sweep that handles the tickets falling due).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Result(name)
    if name.startswith("once:"):
        runs = 1
    else:
        run(0)
    for i in range(1, runs + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            run(i)
            elapsed = time.perf_counter() - started
        result.times.append(elapsed * 1000)
        result.queries.append(len(captured.captured_queries))
        selects = [q for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]
        if selects:
            slowest = max(selects, key=lambda q: float(q["time"]))
            if float(slowest["time"]) * 1000 >= result.slowest_ms:
                result.slowest_ms = float(slowest["time"]) * 1000
                result.slowest_sql = slowest["sql"]
    return result


def explain(sql: str) -> str:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def checked(response: Any, status: int = 200) -> Any:
    if response.status_code != status:
        raise SystemExit(
            f"{response.request['PATH_INFO']} answered {response.status_code}, "
            f"not {status}: {response.content[:300]!r}"
        )
    return response


def benchmarks() -> dict[str, Callable[[int], Any]]:
    """Name → one run (its argument is the run's number, for per-run tickets)."""
    import json
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from incidents.models import Incident
    from servicedesk.core import permissions, sla
    from servicedesk.core.api.pagination import cursor_token
    from servicedesk.core.models import Team, User

    agent = User.objects.get(username=BENCH_AGENT)
    integration = User.objects.get(username=BENCH_INTEGRATION)
    end_user = User.objects.get(username=BENCH_END_USER)
    browser = Client()
    browser.force_login(agent)
    portal = Client()
    portal.force_login(end_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=integration).key}")
    # The demo's service-desk admin sees every ticket: the lists' largest count.
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))

    visible = permissions.visible_tickets(agent, Incident.objects.all())
    total = visible.count()
    deep_page = max(1, total // 25 // 2)
    # The integration sees fewer tickets than the agent (one team of their two).
    busy = (
        permissions.visible_tickets(integration, Incident.objects.all())
        .filter(comments__isnull=False)
        .order_by("-created_at")
        .values_list("pk", flat=True)
    )[:1].get()
    # Tickets the integration may start, one a run.
    startable = list(
        permissions.visible_tickets(integration, Incident.objects.filter(status="new"))
        .filter(assignment_group__in=Team.objects.filter(members=integration))
        .values_list("pk", flat=True)[:500]
    )
    team = Team.objects.filter(members=integration).values_list("pk", flat=True).first()
    print(
        f"agent {agent.username} sees {total:,} incidents ({deep_page:,} pages of 25 is the "
        f"middle); the incident page shows #{busy}"
    )

    # The cursor for the middle of the integration's list.
    api_visible = permissions.visible_tickets(integration, Incident.objects.all())
    api_total = api_visible.count()
    middle = api_visible.order_by("-created_at", "-pk").values("created_at", "pk")[api_total // 2]
    cursor = cursor_token(middle["created_at"], middle["pk"])

    def create(i: int) -> Any:
        body = {
            "title": f"Monitoring: disk full on db-{i}",
            "description": "Free space below 5 % on /var.",
            "impact": 2,
            "urgency": 1,
            "assignment_group": team,
        }
        return checked(api.post("/api/v1/incidents/", json.dumps(body), "application/json"), 201)

    def transition(i: int) -> Any:
        pk = startable[i]
        return checked(
            api.post(f"/api/v1/incidents/{pk}/transitions/start/", "{}", "application/json")
        )

    def sweep(i: int) -> Any:
        return sla.sla_sweep()

    def sweep_next_hour(i: int) -> Any:
        # The seeded clocks fall due over the next two days: an hour from now, about one
        # in fifty of the running ones is due.
        return sla.sla_sweep(now=timezone.now() + timedelta(hours=1))

    filters = "status=closed&priority=3&ordering=-updated_at"
    return {
        "incident list, page 1": lambda i: checked(browser.get("/incidents/")),
        "incident list, filtered and ordered, page 1": lambda i: checked(
            browser.get(f"/incidents/?{filters}")
        ),
        f"incident list, page {deep_page:,}": lambda i: checked(
            browser.get(f"/incidents/?page={deep_page}")
        ),
        "incident page": lambda i: checked(browser.get(f"/incidents/{busy}/")),
        "dashboard": lambda i: checked(browser.get("/dashboard/")),
        "search page /search/?q=printer": lambda i: checked(browser.get("/search/?q=printer")),
        "portal: my tickets": lambda i: checked(portal.get("/portal/tickets/")),
        "API list, page 1": lambda i: checked(api.get("/api/v1/incidents/")),
        "API list, filtered and ordered, page 1": lambda i: checked(
            api.get(f"/api/v1/incidents/?{filters}")
        ),
        f"API list, page {max(1, api_total // 25 // 2):,}": lambda i: checked(
            api.get(f"/api/v1/incidents/?page={max(1, api_total // 25 // 2)}")
        ),
        "API list as an admin (every incident), page 1": lambda i: checked(
            admin.get("/api/v1/incidents/")
        ),
        "API list as an admin, cursor, first page": lambda i: checked(
            admin.get("/api/v1/incidents/?cursor=")
        ),
        "API list, cursor, first page": lambda i: checked(api.get("/api/v1/incidents/?cursor=")),
        "API list, cursor, middle of the list": lambda i: checked(
            api.get(f"/api/v1/incidents/?cursor={cursor}")
        ),
        "API list, ?search=printer": lambda i: checked(
            api.get("/api/v1/incidents/?search=printer")
        ),
        "API detail": lambda i: checked(api.get(f"/api/v1/incidents/{busy}/")),
        "API create an incident": create,
        "API transition (start)": transition,
        "SLA sweep (nothing due)": sweep,
        "once: SLA sweep an hour later (what fell due meanwhile)": sweep_next_hour,
    }


def main() -> None:
    args = parse_args()
    # The test client's host name; the rest of the settings are the test settings'.
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    open_bench_database(reuse=True)
    from django.db import connection

    from servicedesk.core.models import Ticket, User

    if not User.objects.filter(username=BENCH_AGENT).exists():
        raise SystemExit("Seed the bench database first: bench/seed.py --size 100000")
    import django

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    import platform

    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {server}; {Ticket.objects.count():,} tickets; {args.runs} runs each"
    )
    results = []
    for name, run in benchmarks().items():
        if args.only and not any(word in name for word in args.only):
            continue
        results.append(measure(name, run, args.runs))
    width = max(len(r.name) for r in results)
    print(f"\n{'benchmark':<{width}}  {'median ms':>9}  {'p95 ms':>8}  {'queries':>7}")
    for r in results:
        queries = (
            str(r.queries[0]) if len(set(r.queries)) == 1 else f"{min(r.queries)}-{max(r.queries)}"
        )
        print(
            f"{r.name:<{width}}  {statistics.median(r.times):>9.1f}  "
            f"{r.percentile(0.95):>8.1f}  {queries:>7}"
        )
    if args.no_plans:
        return
    for r in results:
        if r.slowest_sql:
            print(f"\n=== {r.name}: slowest SELECT ({r.slowest_ms:.1f} ms)\n{r.slowest_sql[:600]}")
            print(explain(r.slowest_sql))


if __name__ == "__main__":
    main()
