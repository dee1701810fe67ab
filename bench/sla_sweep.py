"""Benchmark the SLA sweep over many open tickets on PostgreSQL (run on demand, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk \\
        .venv/bin/python bench/sla_sweep.py --size 1000000

Creates (again) a database of its own, ``<name>_sla_bench`` (see ``database.py``),
migrates it, seeds ``--size`` open incidents with one ``INSERT … SELECT`` per table (a
share of them due now, most due later, some with their clock stopped), then prints the
plan of the sweep's scan (EXPLAIN ANALYZE) and the time of a sweep that finds the due
tickets, of one that handles them, and of one that finds nothing left to do.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from database import child_expressions, insert_select, open_bench_database


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="open tickets to seed")
    parser.add_argument(
        "--due-every",
        type=int,
        default=1000,
        help="one ticket in this many is due now (default 1000: 0.1%%)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of a previous run, seed nothing"
    )
    return parser.parse_args()


# Every column of core_ticket, as an SQL expression of g (1…size) and %(now)s.
def column_expressions(due_every: int) -> dict[str, str]:
    due = f"mod(g, {due_every}) = 0"
    stopped = "mod(g, 10) < 3"  # resolved, paused or without a policy: no next check
    return {
        "number": "'INC' || lpad(g::text, 10, '0')",
        "practice": "'incident'",
        "title": "'Benchmark ticket ' || g",
        "description": "''",
        "status": f"CASE WHEN {stopped} THEN 'on_hold' ELSE 'in_progress' END",
        "impact": "2",
        "urgency": "2",
        "priority": "3",
        "priority_override_reason": "''",
        "priority_overridden_by_id": "NULL",
        "priority_overridden_at": "NULL",
        "requester_id": "%(requester)s",
        "assignment_group_id": "NULL",
        "assignee_id": "NULL",
        "service_id": "NULL",
        # A due ticket started two hours ago: its response target (one hour) is long gone.
        "sla_started_at": f"CASE WHEN {due} THEN %(now)s - interval '2 hours' "
        "ELSE %(now)s - mod(g, 600) * interval '1 minute' END",
        "response_due_at": f"CASE WHEN {due} THEN %(now)s - interval '1 hour' "
        "ELSE %(now)s + mod(g, 43200) * interval '1 minute' END",
        "resolution_due_at": "%(now)s + (mod(g, 43200) + 600) * interval '1 minute'",
        "responded_at": "NULL",
        "resolved_at": "NULL",
        "closed_at": "NULL",
        "sla_state": f"CASE WHEN {stopped} THEN 'paused' ELSE 'in_progress' END",
        "sla_paused_since": f"CASE WHEN {stopped} THEN %(now)s ELSE NULL END",
        "sla_warning_level": "0",
        "sla_policy_id": "%(policy)s",
        "sla_paused_total": "interval '0'",
        "sla_response_warning_level": "0",
        "sla_next_check_at": f"CASE WHEN {due} THEN %(now)s - interval '75 minutes' "
        f"WHEN {stopped} THEN NULL "
        "ELSE %(now)s + (1 + mod(g, 43200)) * interval '1 minute' END",
        "created_by_id": "NULL",
        "created_at": "%(now)s - mod(g, 600) * interval '1 minute'",
        "updated_at": "%(now)s",
        "version": "1",
    }


def seed(size: int, due_every: int, now: datetime) -> None:
    """Reference data through the ORM, tickets by one INSERT … SELECT generate_series."""
    from datetime import time as clock

    from django.db import connection

    from incidents.models import Incident
    from servicedesk.core.choices import EscalationAction, SLATarget
    from servicedesk.core.models import (
        BusinessCalendar,
        EscalationRule,
        SLAPolicy,
        Ticket,
        User,
        WorkingPeriod,
    )

    requester = User.objects.create(username="bench-requester")
    calendar = BusinessCalendar.objects.create(name="24x7", timezone="UTC")
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=day, start=clock(0), end=clock(0))
        for day in range(7)
    )
    policy = SLAPolicy.objects.create(
        name="Incidents P3",
        practice="incident",
        priority=3,
        calendar=calendar,
        response_minutes=60,
        resolution_minutes=24 * 60,
        warning_thresholds=[75, 90],
    )
    for threshold, action in ((75, EscalationAction.NOTIFY_ASSIGNEE), (100, "notify_team_lead")):
        EscalationRule.objects.create(
            policy=policy, target=SLATarget.RESPONSE, threshold=threshold, action=action
        )

    started = time.perf_counter()
    insert_select(
        Ticket,
        column_expressions(due_every),
        source="generate_series(1, %(size)s) AS g",
        params={"now": now, "requester": requester.pk, "policy": policy.pk, "size": size},
    )
    insert_select(
        Incident,
        child_expressions("incident"),
        source="(SELECT t.*, t.id AS g FROM core_ticket t) AS t",
        params={"categories": [], "problems": []},
        local=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_numbersequence SET last_value = %s WHERE prefix = 'INC'", [size]
        )
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE core_ticket")
    vacuumed = time.perf_counter() - started
    print(f"seeded {size:,} tickets in {seeded:.1f} s, vacuum analyze in {vacuumed:.1f} s")


def main() -> None:
    args = parse_args()
    open_bench_database(reuse=args.reuse, suffix="_sla_bench")
    from django.db import connection, reset_queries

    from servicedesk.core import sla
    from servicedesk.core.models import Ticket

    now = datetime.now(UTC).replace(microsecond=0)
    if not args.reuse:
        seed(args.size, args.due_every, now)
    else:
        now = Ticket.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(sla_next_check_at) FROM core_ticket")
        total, scheduled = cursor.fetchone()
    scan = Ticket.objects.filter(sla_next_check_at__lte=now).order_by("sla_next_check_at", "pk")
    due = scan.count()
    print(f"tickets: {total:,}, with a next check: {scheduled:,}, due now: {due:,}")

    print("\nThe sweep's scan (one batch):")
    batch = scan.values_list("sla_next_check_at", "pk")[:200]
    print(batch.explain(analyze=True, buffers=True))

    started = time.perf_counter()
    found = len(list(batch))
    print(f"\nscan of one batch: {found} rows in {(time.perf_counter() - started) * 1000:.1f} ms")

    reset_queries()
    started = time.perf_counter()
    fired = sla.sla_sweep(now=now)
    elapsed = time.perf_counter() - started
    per_ticket = elapsed / due * 1000 if due else 0.0
    print(
        f"sweep with {due:,} due tickets: {fired:,} levels fired in {elapsed:.2f} s "
        f"({per_ticket:.1f} ms per ticket)"
    )

    started = time.perf_counter()
    again = sla.sla_sweep(now=now)
    print(
        f"sweep with nothing left to do: {again} fired in "
        f"{(time.perf_counter() - started) * 1000:.1f} ms"
    )
    assert again == 0
    leftover = Ticket.objects.filter(sla_next_check_at__lte=now).count()
    print(f"due after the sweep: {leftover}")


if __name__ == "__main__":
    main()
