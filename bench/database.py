"""Make a bench database and fill it fast: the helpers every benchmark shares.

A benchmark never touches the database ``DATABASE_URL`` names: it (re)creates one of
its own beside it, ``<name>_bench`` (the SLA sweep's: ``<name>_sla_bench``), migrates
it, and fills tables with ``INSERT … SELECT … FROM generate_series`` (one statement per
table, no Python loop per row). ``insert_select`` checks that the statement gives every
column of the table a value, so a model that gains a column makes the benchmark fail
loudly instead of seeding rows the application would not make.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_database_url(suffix: str = "_bench") -> tuple[str, str]:
    """The server's URL (database ``postgres``) and the bench database's URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server: the benchmark is for PostgreSQL.")
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "servicedesk"
    if not name.endswith(suffix):
        name += suffix
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(server_url: str, bench_url: str) -> None:
    """Drop the bench database (closing its connections) and create it empty."""
    import psycopg

    name = urlsplit(bench_url).path.lstrip("/")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(bench_url: str, settings: str = "servicedesk.settings.test") -> None:
    """Point Django at the bench database and set it up.

    Test settings (email kept in memory, fast password hashing) with kombu's in-memory
    broker: tasks queued after commit (notifications, outbox deliveries) stay queued, so
    the figures are the code's own and nothing reaches a real broker or a running worker.
    """
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def open_bench_database(
    *, reuse: bool, suffix: str = "_bench", settings: str = "servicedesk.settings.test"
) -> bool:
    """Set Django up on the bench database; recreate and migrate it unless ``reuse``.

    Returns True when the database is new (empty but migrated) and needs seeding.
    """
    server_url, bench_url = bench_database_url(suffix)
    if not reuse:
        recreate_database(server_url, bench_url)
    setup_django(bench_url, settings)
    if reuse:
        return False
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return True


def columns_of(model: Any, *, local: bool = False) -> list[str]:
    """The columns an INSERT must fill: every concrete one but an auto-incremented key."""
    fields = model._meta.local_concrete_fields if local else model._meta.concrete_fields
    auto = {"AutoField", "BigAutoField", "SmallAutoField"}
    return [f.column for f in fields if f.get_internal_type() not in auto]


def insert_select(
    model: Any,
    expressions: Mapping[str, str],
    *,
    source: str,
    params: Mapping[str, Any] | None = None,
    local: bool = False,
    table: str | None = None,
    columns: Iterable[str] | None = None,
) -> int:
    """``INSERT INTO <model's table> (…) SELECT <expressions> FROM <source>``; rows inserted.

    ``expressions`` maps each column to an SQL expression of the source's columns and of
    ``%(name)s`` parameters. ``local`` fills only the model's own table (a multi-table
    child); ``table``/``columns`` name an auto-created table (a many-to-many's).
    """
    from django.db import connection

    wanted = list(columns) if columns is not None else columns_of(model, local=local)
    missing = sorted(set(wanted) - set(expressions))
    table = table or model._meta.db_table
    if missing:
        sys.exit(f"The benchmark does not know how to fill {table}.{missing}.")
    sql = (
        f"INSERT INTO {table} ({', '.join(wanted)}) "
        f"SELECT {', '.join(expressions[c] for c in wanted)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, dict(params or {}))
        return cursor.rowcount


def analyze(tables: Iterable[str] = ()) -> float:
    """VACUUM ANALYZE the tables (every table without any): seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        names = list(tables)
        if not names:
            cursor.execute("VACUUM ANALYZE")
        for name in names:
            cursor.execute(f"VACUUM ANALYZE {name}")
    return time.perf_counter() - started


# --- seeding a realistic service desk ------------------------------------------------------

# The password of every seeded person (the load test signs in with it).
BENCH_PASSWORD = "bench"  # a throwaway database's

# Who the benchmarks act as: an agent of two teams, an integration's agent with a token,
# an end user with tickets of their own.
BENCH_AGENT = "bench-agent"
BENCH_INTEGRATION = "bench-integration"
BENCH_END_USER = "bench-user"

# The spread of the practices, out of 100 tickets.
PRACTICE_SHARES = {"incident": 70, "request": 15, "change": 10, "problem": 5}

# Per practice: the open statuses (the newest tickets), the share that is open, the
# just-finished statuses and their share, and the statuses of everything older,
# repeated by weight.
STATUS_SHAPES: dict[str, dict[str, Any]] = {
    "incident": {
        "open": ["new", "in_progress", "in_progress", "in_progress", "on_hold"],
        "open_share": 0.08,
        "recent": ["resolved"],
        "recent_share": 0.02,
        "old": ["closed"] * 19 + ["cancelled"],
    },
    "problem": {
        "open": ["new", "under_investigation", "under_investigation", "known_error"],
        "open_share": 0.25,
        "recent": ["resolved"],
        "recent_share": 0.05,
        "old": ["closed"] * 9 + ["cancelled"],
    },
    "change": {
        "open": ["draft", "assessment", "authorization", "scheduled", "implementing", "review"],
        "open_share": 0.10,
        "recent": ["scheduled"],
        "recent_share": 0.02,
        "old": ["closed"] * 18 + ["rejected", "cancelled"],
    },
    "request": {
        "open": ["submitted", "awaiting_approval", "approved", "fulfilling", "fulfilling"],
        "open_share": 0.08,
        "recent": ["fulfilled"],
        "recent_share": 0.02,
        "old": ["closed"] * 18 + ["rejected", "cancelled"],
    },
}
# Statuses whose SLA clock is stopped for good (met or breached), and paused ones.
FINISHED = [
    "resolved",
    "closed",
    "cancelled",
    "known_error",
    "rejected",
    "fulfilled",
    "review",
]
PAUSED = ["on_hold"]

SUBJECTS = [
    "Printer",
    "VPN",
    "Email",
    "Laptop",
    "Wi-Fi",
    "Payroll portal",
    "Database",
    "Website",
    "Phone",
    "Password",
    "Shared drive",
    "Monitor",
    "Calendar",
    "Backup",
    "Firewall",
    "Badge reader",
]
SYMPTOMS = [
    "not working",
    "very slow",
    "keeps disconnecting",
    "shows an error",
    "cannot sign in",
    "needs replacing",
    "out of space",
    "times out",
]
SENTENCES = [
    "Started this morning after the update.",
    "Several colleagues on the same floor see it too.",
    "Restarting did not help.",
    "It worked yesterday afternoon.",
    "The error code is 0x80070005.",
    "Urgent: a customer demo is at three.",
    "Happens only on the guest network.",
    "See the screenshot in the attachment.",
]

# Pseudo-random but repeatable: an integer in [0, n) from the row number and a salt.
RANDOM = "mod(abs(hashint8(({g}) * 31 + {salt})::bigint), {n})"


def rnd(g: str, salt: int, n: int | str) -> str:
    return RANDOM.format(g=g, salt=salt, n=n)


def _pick(array_param: str, g: str, salt: int) -> str:
    """A random element of the text array parameter ``array_param``."""
    return (
        f"(%({array_param})s::text[])"
        f"[1 + {rnd(g, salt, f'cardinality(%({array_param})s::text[])')}]"
    )


def _pick_id(array_param: str, g: str, salt: int) -> str:
    """A random element of the id array parameter ``array_param`` (NULL when it is empty)."""
    ids = f"%({array_param})s::bigint[]"
    return f"({ids})[1 + {rnd(g, salt, f'greatest(1, cardinality({ids}))')}]"


def ticket_expressions(practice: str) -> dict[str, str]:
    """Every column of core_ticket, as SQL of ``g`` (1…n, oldest first) and parameters."""
    from servicedesk.core.choices import NUMBER_PREFIXES
    from servicedesk.core.numbering import NUMBER_DIGITS

    shape = STATUS_SHAPES[practice]
    g = "g"
    open_from = f"%(n)s - floor(%(n)s * {shape['open_share']})"
    recent_from = f"%(n)s - floor(%(n)s * {shape['open_share'] + shape['recent_share']})"
    status = (
        f"CASE WHEN {g} > {open_from} THEN {_pick('open', g, 1)} "
        f"WHEN {g} > {recent_from} THEN {_pick('recent', g, 2)} "
        f"ELSE {_pick('old', g, 3)} END"
    )
    is_open = f"({g} > {open_from})"
    impact, urgency = f"(1 + {rnd(g, 4, 3)})", f"(1 + {rnd(g, 5, 3)})"
    priority = f"({impact} + {urgency} - 1)"
    team = f"(%(teams)s::bigint[])[1 + {rnd(g, 6, 'cardinality(%(teams)s::bigint[])')}]"
    # Agent k is a member of team k mod T: pick one of the chosen team's members.
    team_index = rnd(g, 6, "cardinality(%(teams)s::bigint[])")
    assignee = (
        f"%(agent_first)s + {team_index} + cardinality(%(teams)s::bigint[]) * "
        f"{rnd(g, 7, '%(agents_per_team)s')}"
    )
    created = f"(%(now)s - (%(n)s - {g}) * %(step)s::interval - {rnd(g, 8, 3600)} * interval '1 s')"
    resolved = f"({created} + (30 + {rnd(g, 9, 4320)}) * interval '1 minute')"
    with_sla = practice in ("incident", "request")
    policy = f"(%(policies)s::bigint[])[{priority}]" if with_sla else "NULL"
    response_due = f"{created} + {priority} * interval '30 minutes'" if with_sla else "NULL"
    resolution_due = f"{created} + {priority} * interval '8 hours'" if with_sla else "NULL"
    finished = f"({status}) = ANY(%(finished)s::text[])"
    paused = f"({status}) = ANY(%(paused)s::text[])"
    sla_state = (
        "'in_progress'"
        if not with_sla
        else f"CASE WHEN {finished} THEN (CASE WHEN {rnd(g, 10, 100)} < 12 THEN 'breached' "
        f"ELSE 'met' END) WHEN {paused} THEN 'paused' "
        f"WHEN {rnd(g, 11, 100)} < 10 THEN 'at_risk' ELSE 'in_progress' END"
    )
    next_check = (
        f"CASE WHEN {is_open} AND NOT {paused} THEN "
        f"%(now)s + (1 + {rnd(g, 12, 2880)}) * interval '1 minute' END"
        if with_sla
        else "NULL"
    )
    prefix = NUMBER_PREFIXES[practice]
    return {
        "id": f"%(base)s + {g}",
        "number": f"'{prefix}' || lpad((%(offset)s + {g})::text, {NUMBER_DIGITS}, '0')",
        "practice": f"'{practice}'",
        "title": f"{_pick('subjects', g, 13)} || ' ' || {_pick('symptoms', g, 14)} "
        f"|| ' (site ' || {rnd(g, 15, 400)} || ')'",
        "description": f"{_pick('sentences', g, 16)} || ' ' || {_pick('sentences', g, 17)}",
        "status": status,
        "impact": impact,
        "urgency": urgency,
        "priority": priority,
        "priority_override_reason": "''",
        "priority_overridden_by_id": "NULL",
        "priority_overridden_at": "NULL",
        "requester_id": f"%(user_first)s + {rnd(g, 18, '%(users)s')}",
        "assignment_group_id": f"CASE WHEN {rnd(g, 19, 100)} < 3 AND {is_open} THEN NULL "
        f"ELSE {team} END",
        "assignee_id": f"CASE WHEN ({status}) IN ('new', 'draft', 'submitted') "
        f"OR {rnd(g, 19, 100)} < 3 THEN NULL ELSE {assignee} END",
        "service_id": f"CASE WHEN {rnd(g, 20, 10)} < 7 THEN {_pick_id('services', g, 21)} END",
        "response_due_at": response_due,
        "resolution_due_at": resolution_due,
        "responded_at": f"CASE WHEN ({status}) IN ('new', 'draft', 'submitted') THEN NULL "
        f"ELSE {created} + (5 + {rnd(g, 22, 120)}) * interval '1 minute' END",
        "resolved_at": f"CASE WHEN {finished} THEN {resolved} END",
        "closed_at": f"CASE WHEN ({status}) IN ('closed', 'cancelled', 'rejected') "
        f"THEN {resolved} + interval '3 days' END",
        "sla_state": sla_state,
        "sla_paused_since": f"CASE WHEN {paused} THEN %(now)s - interval '2 hours' END"
        if with_sla
        else "NULL",
        "sla_warning_level": "0",
        "sla_policy_id": policy,
        "sla_started_at": created if with_sla else "NULL",
        "sla_paused_total": "interval '0'",
        "sla_response_warning_level": "0",
        "sla_next_check_at": next_check,
        "created_by_id": "NULL",
        "created_at": created,
        "updated_at": f"LEAST(%(now)s, COALESCE({resolved} + interval '3 days', {created}))",
        "version": f"1 + {rnd(g, 23, 5)}",
    }


def child_expressions(practice: str) -> dict[str, str]:
    """The practice's own table, from its core_ticket row ``t`` (``g`` is its row number)."""
    common = {"ticket_ptr_id": "t.id"}
    done = "t.status IN ('resolved', 'closed')"
    if practice == "incident":
        return common | {
            "category_id": _pick_id("categories", "g", 30),
            "is_major": f"(t.status = 'in_progress' AND {rnd('g', 31, 1000)} = 0)",
            "major_declared_at": f"CASE WHEN t.status = 'in_progress' AND {rnd('g', 31, 1000)} = 0 "
            "THEN t.created_at END",
            "major_declared_by_id": f"CASE WHEN t.status = 'in_progress' AND "
            f"{rnd('g', 31, 1000)} = 0 THEN t.assignee_id END",
            "on_hold_reason": "CASE WHEN t.status = 'on_hold' THEN 'awaiting_caller' ELSE '' END",
            "resolution_code": f"CASE WHEN {done} THEN 'solved' ELSE '' END",
            "resolution_notes": f"CASE WHEN {done} THEN 'Fixed; the caller confirmed.' ELSE '' END",
            "reopen_count": "0",
            "related_problem_id": f"CASE WHEN {rnd('g', 32, 50)} = 0 THEN "
            f"{_pick_id('problems', 'g', 33)} END",
        }
    if practice == "problem":
        known = "t.status IN ('known_error', 'resolved', 'closed')"
        return common | {
            "root_cause": f"CASE WHEN {known} THEN 'A driver update broke the spooler.' "
            "ELSE '' END",
            "workaround": f"CASE WHEN {known} THEN 'Restart the service, then retry.' ELSE '' END",
            "is_known_error": known,
            "known_error_since": f"CASE WHEN {known} THEN t.created_at + interval '2 days' END",
            "publication": f"CASE WHEN {rnd('g', 34, 3)} = 0 THEN 'public' ELSE 'internal' END",
            "resolution_notes": f"CASE WHEN {done} THEN 'Fixed by a change.' ELSE '' END",
        }
    if practice == "change":
        return common | {
            "change_type": f"(ARRAY['normal', 'normal', 'standard', 'emergency'])"
            f"[1 + {rnd('g', 35, 4)}]",
            "template_id": "NULL",
            "risk": f"(ARRAY['low', 'medium', 'high', 'very_high'])[1 + {rnd('g', 36, 4)}]",
            "risk_assessment": "'{}'::jsonb",
            "risk_reason": "''",
            "implementation_plan": "'Drain the node, patch, reboot, check the service.'",
            "backout_plan": "'Restore the snapshot taken before the change.'",
            "test_plan": "'Synthetic checks pass for 15 minutes.'",
            "planned_start": "t.created_at + interval '7 days'",
            "planned_end": "t.created_at + interval '7 days 2 hours'",
            "actual_start": "CASE WHEN t.status IN ('implementing', 'review', 'closed') "
            "THEN t.created_at + interval '7 days' END",
            "actual_end": "CASE WHEN t.status IN ('review', 'closed') "
            "THEN t.created_at + interval '7 days 1 hour' END",
            "cab_decision": "CASE WHEN t.status IN ('scheduled', 'implementing', 'review', "
            "'closed') THEN 'approved' WHEN t.status = 'rejected' THEN 'rejected' "
            "ELSE 'pending' END",
            "cab_decided_at": "CASE WHEN t.status NOT IN ('draft', 'assessment', "
            "'authorization', 'cancelled') THEN t.created_at + interval '3 days' END",
            "overlap_override_reason": "''",
            "overlap_overridden_by_id": "NULL",
            "outcome": "CASE WHEN t.status IN ('review', 'closed') THEN 'successful' ELSE '' END",
            "review_notes": "CASE WHEN t.status = 'closed' THEN 'Went to plan.' ELSE '' END",
        }
    return common | {
        "catalog_item_id": _pick_id("items", "g", 37),
        "answers": "'{}'::jsonb",
        "approval_step": "CASE WHEN t.status = 'awaiting_approval' THEN 1 END",
    }


def _password_hash() -> str:
    """One PBKDF2 hash for every seeded person: the site's default hasher, whatever settings."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    return hasher.encode(BENCH_PASSWORD, hasher.salt())


def seed_people(*, agents: int, users: int, teams: int, now: Any) -> dict[str, Any]:
    """Support teams, agents (member of team k mod T) and end users; their first ids."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from servicedesk.core.models import Membership, Team, User
    from servicedesk.core.roles import ROLE_GROUP_NAMES, Role

    team_rows = Team.objects.bulk_create(
        Team(name=f"Bench team {i:02d}", email=f"team{i:02d}@example.com") for i in range(teams)
    )
    team_ids = [t.pk for t in team_rows]
    password = _password_hash()
    person = {
        "password": "%(password)s",
        "last_login": "NULL",
        "is_superuser": "false",
        "first_name": "'Person'",
        "last_name": "g::text",
        "is_staff": "false",
        "is_active": "true",
        "date_joined": "%(now)s - interval '3 years'",
        "time_zone": "'Europe/Paris'",
        "manager_id": "NULL",
        "is_away": "false",
        "phone": "''",
    }
    params = {"password": password, "now": now}
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM core_user")
        agent_first = cursor.fetchone()[0] + 1
    user_first = agent_first + agents
    for kind, first, count in (("agent", agent_first, agents), ("user", user_first, users)):
        insert_select(
            User,
            person
            | {
                "id": "%(first)s + g - 1",
                "username": f"'{kind}' || g",
                "email": f"'{kind}' || g || '@example.com'",
            },
            source="generate_series(1, %(count)s) AS g",
            params=params | {"first": first, "count": count},
        )
    reset_sequences(User)
    groups = User.groups.through
    agent_group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT])
    end_user_group = Group.objects.get(name=ROLE_GROUP_NAMES[Role.END_USER])
    for group, first, count in (
        (agent_group, agent_first, agents),
        (end_user_group, user_first, users),
    ):
        insert_select(
            groups,
            {"user_id": "%(first)s + g - 1", "group_id": "%(group)s"},
            source="generate_series(1, %(count)s) AS g",
            params={"first": first, "count": count, "group": group.pk},
        )
    insert_select(
        Membership,
        {
            "team_id": "(%(teams)s::bigint[])[1 + mod(g - 1, cardinality(%(teams)s::bigint[]))]",
            "user_id": "%(first)s + g - 1",
            "is_lead": f"g <= {teams}",
            "created_at": "%(now)s",
        },
        source="generate_series(1, %(count)s) AS g",
        params={"teams": team_ids, "first": agent_first, "count": agents, "now": now},
    )
    return {
        "teams": team_ids,
        "agent_first": agent_first,
        "agents_per_team": max(1, agents // teams),
        "user_first": user_first,
        "users": users,
    }


def reset_sequences(*models: Any) -> None:
    """Move the id sequences past rows inserted with explicit ids."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def practice_sizes(size: int) -> dict[str, int]:
    """How many tickets of each practice make ``size`` (the rounding goes to incidents)."""
    sizes = {p: size * share // 100 for p, share in PRACTICE_SHARES.items()}
    sizes["incident"] += size - sum(sizes.values())
    return sizes


def seed_tickets(size: int, *, people: dict[str, Any], now: Any) -> dict[str, int]:
    """``size`` tickets over the practices, each with its practice row; how many of each."""
    from datetime import timedelta

    from django.db import connection

    from changes.models import Change
    from incidents.models import Category, Incident
    from problems.models import Problem
    from service_requests.models import CatalogItem, ServiceRequest
    from servicedesk.core.choices import NUMBER_PREFIXES
    from servicedesk.core.models import NumberSequence, Service, SLAPolicy, Ticket

    models = {
        "problem": Problem,
        "incident": Incident,
        "change": Change,
        "request": ServiceRequest,
    }
    policies = {}
    for practice in ("incident", "request"):
        by_priority = dict(
            SLAPolicy.objects.filter(practice=practice, service=None).values_list("priority", "pk")
        )
        policies[practice] = [by_priority.get(p) for p in range(1, 6)]
    params = {
        **people,
        "now": now,
        "services": list(Service.objects.values_list("pk", flat=True)),
        "categories": list(Category.objects.values_list("pk", flat=True)),
        "items": list(CatalogItem.objects.values_list("pk", flat=True)),
        "subjects": SUBJECTS,
        "symptoms": SYMPTOMS,
        "sentences": SENTENCES,
        "finished": FINISHED,
        "paused": PAUSED,
    }
    sizes = practice_sizes(size)
    # Problems first, so that incidents can link to them.
    for practice, model in models.items():
        n = sizes[practice]
        if not n:
            continue
        shape = STATUS_SHAPES[practice]
        prefix = NUMBER_PREFIXES[practice]
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(max(id), 0) FROM core_ticket")
            base = cursor.fetchone()[0]
        sequence, _created = NumberSequence.objects.get_or_create(prefix=prefix)
        local = {
            **params,
            "n": n,
            "base": base,
            "offset": sequence.last_value,
            # Two years of tickets, the newest now.
            "step": timedelta(days=730) / n,
            "policies": policies.get(practice, [None] * 5),
            "open": shape["open"],
            "recent": shape["recent"],
            "old": shape["old"],
            "problems": list(Problem.objects.values_list("pk", flat=True)),
        }
        insert_select(
            Ticket,
            ticket_expressions(practice),
            source="generate_series(1, %(n)s) AS g",
            params=local,
        )
        insert_select(
            model,
            child_expressions(practice),
            source="(SELECT t.*, t.id - %(base)s AS g FROM core_ticket t "
            "WHERE t.id > %(base)s) AS t",
            params=local,
            local=True,
        )
        # The counter ends where the seeded numbers end (ADR 0004).
        NumberSequence.objects.filter(prefix=prefix).update(last_value=sequence.last_value + n)
    reset_sequences(Ticket)
    return sizes


def seed_ticket_rows(*, base: int, people: dict[str, Any], now: Any) -> dict[str, int]:
    """Comments, audit events, watchers and CIs of the tickets with an id above ``base``."""
    from servicedesk.core.models import AuditEvent, Comment, ConfigurationItem, Ticket, Watcher

    counts = {}
    tickets = "(SELECT t.*, t.id AS g FROM core_ticket t WHERE t.id > %(base)s) AS t"
    # 0 to 5 comments a ticket; one in four an internal note by the assignee.
    counts["comments"] = insert_select(
        Comment,
        {
            "ticket_id": "t.id",
            "author_id": f"CASE WHEN {rnd('t.id * 7 + k', 40, 4)} = 0 AND t.assignee_id "
            "IS NOT NULL THEN t.assignee_id ELSE t.requester_id END",
            "body": f"{_pick('sentences', 't.id * 7 + k', 41)} || ' ' || "
            f"{_pick('sentences', 't.id * 7 + k', 42)}",
            "internal": f"({rnd('t.id * 7 + k', 40, 4)} = 0 AND t.assignee_id IS NOT NULL)",
            "created_at": "t.created_at + k * interval '37 minutes'",
        },
        source=f"{tickets} CROSS JOIN LATERAL generate_series(1, {rnd('t.id', 43, 6)}) AS k",
        params={"base": base, "sentences": SENTENCES},
    )
    # The creation, then one event per step of the lifecycle so far.
    counts["audit events"] = insert_select(
        AuditEvent,
        {
            "ticket_id": "t.id",
            "actor_id": "CASE WHEN k = 0 THEN t.requester_id ELSE t.assignee_id END",
            "action": "CASE WHEN k = 0 THEN 'created' ELSE 'transition' END",
            "transition": "CASE WHEN k = 0 THEN '' ELSE 'step' || k END",
            "from_status": "''",
            "to_status": "CASE WHEN k = 0 THEN '' ELSE t.status END",
            "changes": "'{}'::jsonb",
            "note": "''",
            "internal": "false",
            "created_at": "t.created_at + k * interval '1 hour'",
        },
        source=f"{tickets} CROSS JOIN LATERAL generate_series(0, CASE "
        "WHEN t.status IN ('new', 'draft', 'submitted') THEN 0 "
        "WHEN t.status IN ('closed', 'cancelled', 'rejected') THEN 3 ELSE 2 END) AS k",
        params={"base": base},
    )
    counts["watchers"] = insert_select(
        Watcher,
        {
            "ticket_id": "t.id",
            "user_id": f"%(user_first)s + {rnd('t.id', 44, '%(users)s')}",
            "added_by_id": "NULL",
            "created_at": "t.created_at",
        },
        source=f"{tickets} WHERE {rnd('t.id', 45, 10)} = 0 "
        f"AND t.requester_id <> %(user_first)s + {rnd('t.id', 44, '%(users)s')}",
        params={"base": base, **people},
    )
    through = Ticket.configuration_items.through
    cis = list(ConfigurationItem.objects.values_list("pk", flat=True))
    if cis:
        counts["ticket CIs"] = insert_select(
            through,
            {
                "ticket_id": "t.id",
                "configurationitem_id": f"(%(cis)s::bigint[])[1 + {rnd('t.id', 46, len(cis))}]",
            },
            source=f"{tickets} WHERE {rnd('t.id', 47, 10)} < 3",
            params={"base": base, "cis": cis},
        )
    reset_sequences(Comment, AuditEvent, Watcher, through)
    return counts


def seed_bench_logins(people: dict[str, Any]) -> dict[str, Any]:
    """The people the benchmarks act as, and the integration's API token."""
    from rest_framework.authtoken.models import Token

    from servicedesk.core import services
    from servicedesk.core.models import Team, User
    from servicedesk.core.roles import Role

    teams = list(Team.objects.filter(pk__in=people["teams"][:2]))
    agent = services.user_create(
        username=BENCH_AGENT,
        password=BENCH_PASSWORD,
        roles=[Role.AGENT],
        teams=dict.fromkeys(teams, False),
    )
    integration = services.user_create(
        username=BENCH_INTEGRATION,
        password=BENCH_PASSWORD,
        roles=[Role.AGENT],
        teams=dict.fromkeys(teams[:1], False),
    )
    token, _created = Token.objects.get_or_create(user=integration)
    # The end user is the busiest seeded requester's twin: the first end user, renamed.
    end_user = User.objects.get(pk=people["user_first"])
    end_user.username = BENCH_END_USER
    end_user.save(update_fields=["username"])
    for user in (agent, integration):
        User.objects.filter(pk=user.pk).update(password=_password_hash())
    User.objects.filter(pk=end_user.pk).update(password=_password_hash())
    return {"agent": agent, "integration": integration, "token": token.key, "end_user": end_user}


def seed(size: int, *, log: Any = print) -> None:
    """A realistic service desk of ``size`` tickets, with the demo organisation around it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from servicedesk.core.demo import load_demo_data

    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    load_demo_data()
    log(f"demo organisation in {time.perf_counter() - started:.1f} s")
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(max(id), 0) FROM core_ticket")
            base = cursor.fetchone()[0]
        people = seed_people(
            agents=max(40, size // 500), users=max(200, size // 20), teams=20, now=now
        )
        log(
            f"{len(people['teams'])} teams, {max(40, size // 500):,} agents, "
            f"{people['users']:,} end users in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        sizes = seed_tickets(size, people=people, now=now)
        log(
            f"{size:,} tickets ({', '.join(f'{n:,} {p}s' for p, n in sizes.items())}) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        counts = seed_ticket_rows(base=base, people=people, now=now)
        log(
            f"{', '.join(f'{n:,} {what}' for what, n in counts.items())} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        seed_bench_logins(people)
    log(f"vacuum analyze in {analyze():.1f} s")
