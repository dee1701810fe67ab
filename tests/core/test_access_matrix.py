"""The access-control matrix: every role against every page and endpoint that touches tickets.

The rules are in ``access_rules.py`` (one row per URL name and method), the users and
tickets in ``access_world.py``. The world is built once for the module; each request
runs in a savepoint that is rolled back after it, so every role meets the same tickets.
A URL name that is in neither the rules nor ``NOT_A_TICKET_SURFACE`` fails the suite.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from changes.models import CABVote
from notifications.models import InAppNotification, InboundMessage, OutboxEvent
from service_requests.models import FulfilmentTask
from servicedesk.core.models import (
    Attachment,
    AuditEvent,
    Comment,
    Ticket,
    TicketLink,
    Watcher,
)
from servicedesk.portal.models import SatisfactionRating

from .access_rules import NOT_A_TICKET_SURFACE, RULES, L, N, Rule, Y
from .access_world import END_USERS, ROLES, SECRET, World, build_world, reload

# --- the world, once for the module -------------------------------------------------------------


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def clients(module_world: World, django_db_blocker) -> dict[str, Client]:
    """A signed-in client per role (their sessions live as long as the module's world)."""
    signed_in = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            client = Client()
            if module_world.users[role] is not None:
                client.force_login(module_world.users[role])
            signed_in[role] = client
    return signed_in


@pytest.fixture
def world(module_world: World, db) -> World:
    """The module's world; what a test changes is rolled back after it."""
    return module_world


# --- the Django admin's pages of ticket data, generated ------------------------------------


def holds_ticket_data(model: type[Model]) -> bool:
    """A ticket of any practice, or a row that belongs to one (comment, file, event…)."""
    if issubclass(model, Ticket):
        return True
    return any(
        f.is_relation
        and f.concrete
        and (f.many_to_one or f.one_to_one)
        and f.related_model is not None
        and isinstance(f.related_model, type)
        and issubclass(f.related_model, Ticket)
        for f in model._meta.get_fields()
    )


# The service-desk admin role's outcome on the admin list and change page of each model
# with ticket data (superusers get 200, everyone else who is not staff the admin login).
ADMIN_ROLE_OUTCOMES: dict[str, int] = {
    "core.ticket": 200,
    "core.comment": 200,
    "core.attachment": 200,
    "core.ticketlink": 200,
    "core.watcher": 200,
    "core.auditevent": 200,
    "portal.satisfactionrating": 200,
    "notifications.outboxevent": 200,
    # People's own notices and the mail that came in: not the service-desk admin's to read.
    "notifications.inappnotification": 403,
    "notifications.inboundmessage": 403,
    "incidents.incident": 200,
    "problems.problem": 200,
    "changes.change": 200,
    "service_requests.servicerequest": 200,
}
# The row each admin change page opens.
ADMIN_OBJECTS: dict[str, Any] = {
    "core.ticket": lambda w: w.tickets["incident"].pk,
    "core.comment": lambda w: w.internal_notes["incident"].pk,
    "core.attachment": lambda w: w.internal_files["incident"].pk,
    "core.ticketlink": lambda w: w.link.pk,
    "core.watcher": lambda w: Watcher.objects.filter(ticket=w.tickets["incident"]).first().pk,
    "core.auditevent": lambda w: (
        AuditEvent.objects.filter(ticket=w.tickets["incident"]).order_by("pk").first().pk
    ),
    "portal.satisfactionrating": lambda w: SatisfactionRating.objects.get().pk,
    "notifications.outboxevent": lambda w: OutboxEvent.objects.order_by("pk").first().pk,
    "notifications.inappnotification": lambda w: InAppNotification.objects.get().pk,
    "notifications.inboundmessage": lambda w: InboundMessage.objects.get().pk,
    "incidents.incident": lambda w: w.tickets["incident"].pk,
    "problems.problem": lambda w: w.tickets["problem"].pk,
    "changes.change": lambda w: w.tickets["change"].pk,
    "service_requests.servicerequest": lambda w: w.tickets["request"].pk,
}


def admin_models() -> dict[str, type[Model]]:
    return {
        model._meta.label_lower: model for model in admin.site._registry if holds_ticket_data(model)
    }


def admin_rules() -> list[Rule]:
    rules = []
    for label, model in sorted(admin_models().items()):
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        admin_outcome = ADMIN_ROLE_OUTCOMES.get(label, "no rule")
        outcomes = dict.fromkeys(ROLES, L) | {"admin": admin_outcome, "superuser": 200}
        rules.append(Rule(f"{base}_changelist", "GET", None, outcomes))
        if label in ADMIN_OBJECTS:
            get_pk = ADMIN_OBJECTS[label]
            rules.append(
                Rule(
                    f"{base}_change",
                    "GET",
                    None,
                    outcomes,
                    kwargs=lambda w, get_pk=get_pk: {"object_id": get_pk(w)},
                )
            )
    return rules


ALL_RULES = RULES + admin_rules()


# --- running one request --------------------------------------------------------------------


def body_of(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        # Exhausting it closes it, through the test client's wrapper.
        return b"".join(response.streaming_content)
    return response.content


# What a write may touch, counted in one query: every row here records a change.
COUNTED = (Comment, Attachment, AuditEvent, Watcher, TicketLink, CABVote, SatisfactionRating)
TICKET_COLUMNS = ("pk", "version", "status", "updated_at", "assignee_id", "assignment_group_id")


def snapshot(world: World, rule: Rule) -> tuple[Any, ...]:
    """The tickets' versions and states, the rule's ticket's whole row, and the counts."""
    tickets = list(Ticket.objects.order_by("pk").values_list(*TICKET_COLUMNS))
    task = list(FulfilmentTask.objects.order_by("pk").values_list("pk", "status", "assignee_id"))
    row = None
    if rule.on in world.tickets:
        stored = world.tickets[rule.on]
        row = list(type(stored).objects.filter(pk=stored.pk).values())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {m._meta.db_table})" for m in COUNTED)
        )
        counts = cursor.fetchone()
    return tickets, task, row, dict(zip((m.__name__ for m in COUNTED), counts, strict=True))


def diff(before: tuple[Any, ...], after: tuple[Any, ...]) -> list[str]:
    parts = ("tickets", "tasks", "the ticket's row", "counts")
    return [name for name, b, a in zip(parts, before, after, strict=True) if a != b]


def url_for(rule: Rule, world: World) -> str:
    kwargs: dict[str, Any] = {}
    pattern_keys = rule_route_keys(rule.name)
    if rule.on is not None and "pk" in pattern_keys:
        kwargs["pk"] = world.fresh_task().pk if rule.on == "task" else world.tickets[rule.on].pk
    if rule.kwargs is not None:
        kwargs.update(rule.kwargs(world))
    url = reverse(rule.name, kwargs=kwargs or None)
    query = rule.query(world) if callable(rule.query) else rule.query
    return f"{url}?{query}" if query else url


def send(client: Client, rule: Rule, url: str, world: World) -> HttpResponse:
    method = rule.method.lower()
    data = rule.data(world) if rule.data is not None else None
    if method == "get":
        return client.get(url)
    if rule.name.startswith("api:") and rule.json:
        return client.generic(
            rule.method,
            url,
            json.dumps(data if data is not None else {}),
            content_type="application/json",
        )
    if method == "post":
        return client.post(url, data or {})
    return client.generic(rule.method, url)


def listed_number(rule: Rule, world: World) -> str:
    if rule.on == "task":
        return world.fresh_task().number
    return world.tickets[rule.on].number


def check(
    rule: Rule, role: str, expected: Any, response: HttpResponse, body: bytes, world: World
) -> str | None:
    """What is wrong with the response, or None."""
    status = response.status_code
    got = f"got {status}"
    if expected == L:
        location = response.get("Location", "")
        if status == 302 and "login" in location:
            return None
        return f"expected a login redirect, {got} {location}"
    if expected in (Y, N):
        if status != 200:
            return f"expected 200 ({expected}), {got}"
        shown = listed_number(rule, world).encode() in body
        if shown != (expected == Y):
            return f"the ticket is {'listed' if shown else 'not listed'}, expected {expected}"
        return None
    code = int(str(expected).rstrip("~"))
    if status != code:
        return f"expected {expected}, {got}: {body[:300]!r}"
    return None


def is_write(rule: Rule) -> bool:
    return rule.method not in ("GET", "HEAD", "OPTIONS")


def must_change(expected: Any) -> bool:
    return isinstance(expected, int) and 200 <= expected < 400


def run_rule(rule: Rule, world: World, clients: dict[str, Client]) -> list[str]:
    if rule.prepare is not None:
        rule.prepare(world)
    url = url_for(rule, world)
    # Each role's request is rolled back: every one starts from this state.
    before = snapshot(world, rule) if is_write(rule) else None
    failures = []
    for role in ROLES:
        expected = rule.expected[role]
        client = clients[role]
        # Only the session cookie: no message left over from another request shows up.
        for name in list(client.cookies):
            if name != settings.SESSION_COOKIE_NAME:
                del client.cookies[name]
        with transaction.atomic():
            response = send(client, rule, url, world)
            body = body_of(response)
            problem = check(rule, role, expected, response, body, world)
            if problem is None and before is not None:
                after = snapshot(world, rule)
                if must_change(expected) and after == before:
                    problem = f"answered {response.status_code} but changed nothing"
                elif not must_change(expected) and after != before:
                    problem = (
                        f"was refused ({response.status_code}) but changed {diff(before, after)}"
                    )
            if problem is None and role in END_USERS and SECRET.encode() in body:
                problem = "an internal note or file reached an end user"
            if problem is not None:
                failures.append(f"{role}: {problem}")
            transaction.set_rollback(True)
    return failures


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_access(world: World, clients: dict[str, Client], rule: Rule) -> None:
    failures = run_rule(rule, world, clients)
    assert not failures, f"{rule.id}:\n  " + "\n  ".join(failures)


# --- every ticket surface has a rule ---------------------------------------------------------


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[str]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def url_patterns_named(name: str) -> list[str]:
    found = []

    def walk(resolver: URLResolver, namespace: str, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern, inner, route)
            elif (
                pattern.name
                and (f"{namespace}:{pattern.name}" if namespace else pattern.name) == name
            ):
                found.append(route)

    walk(get_resolver(), "", "")
    return found


@functools.cache
def rule_route_keys(name: str) -> set[str]:
    keys: set[str] = set()
    for route in url_patterns_named(name):
        keys |= set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        keys |= set(re.findall(r"\(\?P<(\w+)>", route))
    return keys


def admin_name_is_covered(name: str) -> bool:
    """Admin pages: those of ticket data have generated rules; the rest show no ticket."""
    if not name.startswith("admin:"):
        return False
    ticket_bases = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for model in admin_models().values()
    }
    if not any(name.startswith(base) for base in ticket_bases):
        return True  # the admin's own pages and models that hold no ticket data
    # add/delete/history of ticket data need the same staff permissions as the change page.
    return name.endswith(("_add", "_delete", "_history"))


def test_every_url_name_has_a_rule_or_is_declared_no_ticket_surface() -> None:
    ruled = {rule.name for rule in ALL_RULES}
    missing = sorted(
        name
        for name in set(url_names())
        if name not in ruled
        and name not in NOT_A_TICKET_SURFACE
        and not admin_name_is_covered(name)
    )
    assert missing == [], (
        "These URL names have no row in tests/core/access_rules.py and are not listed in "
        f"NOT_A_TICKET_SURFACE: {missing}"
    )


def test_rules_name_existing_urls_only() -> None:
    names = set(url_names())
    stale = sorted({r.name for r in ALL_RULES} - names) + sorted(set(NOT_A_TICKET_SURFACE) - names)
    assert stale == []
    assert {r.name for r in ALL_RULES}.isdisjoint(NOT_A_TICKET_SURFACE)


def test_every_admin_model_with_ticket_data_has_an_outcome_for_the_admin_role() -> None:
    assert sorted(admin_models()) == sorted(ADMIN_ROLE_OUTCOMES)


def test_every_api_method_has_a_rule() -> None:
    """Each HTTP method a ticket endpoint of the API answers has its own row."""
    ruled = {(rule.name, rule.method) for rule in ALL_RULES}
    missing = []
    for name, methods in api_methods().items():
        if name in NOT_A_TICKET_SURFACE:
            continue
        missing += [f"{method} {name}" for method in methods if (name, method) not in ruled]
    assert sorted(missing) == []


def api_methods() -> dict[str, set[str]]:
    methods: dict[str, set[str]] = {}

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern, inner)
            elif namespace == "api" and pattern.name:
                actions = getattr(pattern.callback, "actions", None)
                if actions:
                    names = {m.upper() for m in actions if m not in ("head", "options")}
                else:
                    view = getattr(pattern.callback, "cls", None) or getattr(
                        pattern.callback, "view_class", None
                    )
                    names = {
                        m.upper()
                        for m in ("get", "post", "put", "patch", "delete")
                        if view is not None and hasattr(view, m)
                    }
                methods.setdefault(f"api:{pattern.name}", set()).update(names)

    walk(get_resolver(), "")
    return methods


# --- lists agree with details ----------------------------------------------------------------

LISTS = [
    ("api:ticket-list", ""),
    ("api:incident-list", ""),
    ("api:problem-list", ""),
    ("api:change-list", ""),
    ("api:request-list", ""),
    ("reports:export-tickets", ""),
    ("incidents:list", ""),
    ("requests:list", ""),
    ("changes:list", ""),
    ("portal:home", ""),
    ("portal:tickets", ""),
    ("portal:requests", ""),
    ("dashboard", ""),
]
DETAILS = {
    "incident": "api:incident-detail",
    "other": "api:incident-detail",
    "problem": "api:problem-detail",
    "change": "api:change-detail",
    "request": "api:request-detail",
}


def test_a_ticket_is_listed_only_where_its_detail_is_allowed(world: World) -> None:
    """For each role, each list (API, UI, export, search) shows only tickets it may open."""
    failures = []
    for role in ROLES[1:]:
        client = Client()
        client.force_login(reload(world.users[role]))
        allowed = {
            key
            for key, ticket in world.tickets.items()
            if client.get(reverse(DETAILS[key], args=[ticket.pk])).status_code == 200
        }
        pages = [reverse(name) + query for name, query in LISTS]
        # By title: the page repeats the query, which must not hold the number it looks for.
        pages += [f"{reverse('reports:search')}?q={t.title}" for t in world.tickets.values()]
        for page in pages:
            response = client.get(page)
            if response.status_code != 200:
                continue
            body = body_of(response)
            shown = {key for key, t in world.tickets.items() if t.number.encode() in body}
            if shown - allowed:
                failures.append(f"{role} {page}: lists {sorted(shown - allowed)}")
    assert failures == []


def test_an_end_users_export_leaves_out_who_works_the_ticket(
    world: World, clients: dict[str, Client]
) -> None:
    """The API shows end users no team or assignee; neither does their CSV export."""

    def lines(role: str) -> list[str]:
        response = clients[role].get(reverse("reports:export-tickets"))
        assert response.status_code == 200
        return body_of(response).decode().splitlines()

    agent, end_user = lines("agent_a"), lines("e1")
    assert {"assignment_group", "assignee"} <= set(agent[0].split(","))
    assert {"assignment_group", "assignee"}.isdisjoint(end_user[0].split(","))
    number = world.tickets["incident"].number
    assert "Team A" in next(line for line in agent if number in line)
    assert "Team A" not in next(line for line in end_user if number in line)
