# ruff: noqa: E501  (the rule table keeps one row a line, its columns aligned)
"""The access-control matrix: who gets what from every page and endpoint that touches tickets.

One row per URL name and method (a URL name may have several rows, e.g. a public and an
internal file). The columns are the roles of ``access_world.ROLES``; each cell is the
expected outcome for that role:

- a status code: ``200``, ``201``, ``204``, ``302``, ``401``, ``403``, ``404``…
  On a write (any method but GET), a 2xx/3xx code also asserts that the write took
  effect, and a 4xx that it changed nothing.
- ``L``: a redirect to a login page (the site's or the admin's).
- ``Y`` / ``N``: a list answered 200 and the row's ticket is / is not in it.
- ``"302~"``, ``"200~"``: that status, and the write changed nothing (a UI form that
  answers a refusal with a message and a redirect).

``on`` names the ticket the URL's ``pk`` points at (``incident``, ``problem``, ``change``,
``request``, ``task``), or the ticket a list should or should not show. ``kwargs``,
``data`` and ``prepare`` are callables of the world (``access_world.World``): the URL's
other arguments, the request body, and what to do to the tickets before the requests
(e.g. walk the incident to ``resolved`` so that ``reopen`` applies).

To add an endpoint: add a row below (copy the nearest one and change its cells), or, if
it exposes no ticket, add its URL name to ``NOT_A_TICKET_SURFACE`` with a comment why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.utils import timezone

from changes import services as change_services
from changes.forms import ChangeForm
from incidents import services as incident_services
from problems import services as problem_services
from service_requests import services as request_services

from .access_world import ROLES, SECRET, World

L, Y, N = "login", "listed", "not listed"


@dataclass(frozen=True)
class Rule:
    name: str
    method: str
    on: str | None
    expected: dict[str, Any]
    kwargs: Callable[[World], dict[str, Any]] | None = None
    data: Callable[[World], Any] | None = None
    prepare: Callable[[World], None] | None = None
    query: str | Callable[[World], str] = ""
    json: bool = True
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}" + (f" [{self.label}]" if self.label else "")


def row(name: str, method: str, on: str | None, *outcomes: Any, **options: Any) -> Rule:
    assert len(outcomes) == len(ROLES), f"{name}: {len(outcomes)} outcomes for {len(ROLES)} roles"
    return Rule(name, method, on, dict(zip(ROLES, outcomes, strict=True)), **options)


# --- helpers the rows use -------------------------------------------------------------------


def agent(w: World) -> Any:
    return w.users["agent_a"]


def walk(key: str, services: dict[str, Any], arguments: dict[str, Any], steps: tuple[str, ...]):
    """Run the ticket's transitions ``steps`` as team A's agent, with their ``arguments``."""

    def prepare(w: World) -> None:
        for step in steps:
            services[step](**{key: w.ticket(key)}, by=agent(w), **arguments.get(step, {}))

    return prepare


def walk_incident(*steps: str) -> Callable[[World], None]:
    arguments = {
        "hold": {"reason": "awaiting_caller"},
        "resolve": {"resolution_code": "solved", "resolution_notes": "Cleared the jam."},
        "reopen": {"reason": "Jammed again."},
        "cancel": {"reason": "Duplicate."},
    }
    return walk("incident", incident_services.TRANSITION_SERVICES, arguments, steps)


def walk_problem(*steps: str, publication: str = "internal") -> Callable[[World], None]:
    arguments = {
        "mark_known_error": {
            "root_cause": "Worn rollers.",
            "workaround": "Use tray 2.",
            "publication": publication,
        },
        "resolve": {"resolution_notes": "Rollers replaced."},
    }
    return walk("problem", problem_services.TRANSITION_SERVICES, arguments, steps)


def walk_change(*steps: str) -> Callable[[World], None]:
    """Walk the change; ``vote`` is the CAB member's approval, which schedules it."""

    def prepare(w: World) -> None:
        for step in steps:
            change = w.ticket("change")
            if step == "vote":
                change_services.change_vote(
                    change=change, by=w.users["cab"], decision="approve", comment="Fine."
                )
            elif step == "complete":
                change_services.change_complete(change=change, by=agent(w), outcome="successful")
            else:
                change_services.TRANSITION_SERVICES[step](change=change, by=agent(w))

    return prepare


def fulfil_request(w: World) -> None:
    request_services.task_complete(task=w.fresh_task(), by=agent(w))


def link_problem(w: World) -> None:
    incident_services.incident_link_problem(
        incident=w.ticket("incident"), by=agent(w), problem=w.ticket("problem")
    )


def version(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"version": w.ticket(key).version}


def upload(w: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("more.txt", b"more\n", content_type="text/plain")}


def calendar_week(w: World) -> str:
    """The calendar's week of the change's window."""
    return f"view=week&date={w.ticket('change').planned_start.date().isoformat()}"


def change_edit_data(w: World) -> dict[str, Any]:
    """The change's edit form as the page fills it, with a new title."""
    change = w.ticket("change")
    data: dict[str, Any] = {"version": change.version}
    for name, value in ChangeForm.initial_from(change).items():
        if value is None or value is False:
            continue
        if isinstance(value, datetime):
            value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, list | tuple | QuerySet):
            value = [getattr(v, "pk", v) for v in value]
        data[name] = getattr(value, "pk", value)
    return data | {"title": "Replace every printer"}


def pk_of(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": w.ticket(key).pk}


# --- the rule table ---------------------------------------------------------------------------
# fmt: off
RULES: list[Rule] = [
    # ---- core API: /api/v1/tickets/ and what hangs off every ticket -----------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("api:ticket-list",                "GET",    "incident", 401, Y,   N,   Y,   N,   Y,   N,   N,   Y,   Y),
    row("api:ticket-list",                "GET",    "change",   401, N,   N,   Y,   N,   Y,   N,   N,   Y,   Y, label="change"),
    # Words of an internal note find the ticket for agents only.
    row("api:ticket-list",                "GET",    "incident", 401, N,   N,   Y,   N,   Y,   N,   N,   Y,   Y, query=f"search={SECRET}", label="search an internal note"),
    row("api:ticket-detail",              "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:ticket-comments",            "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:ticket-comments",            "GET",    "request",  401, 200, 404, 200, 404, 200, 404, 404, 200, 200, label="request"),
    # The core's ticket endpoints scope by the core's rule: the board reads changes through
    # the change API, not here.
    row("api:ticket-comments",            "GET",    "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200, label="problem"),
    row("api:ticket-comments",            "GET",    "change",   401, 404, 404, 200, 404, 200, 404, 404, 200, 200, label="change"),
    row("api:ticket-comments",            "POST",   "incident", 401, 201, 404, 201, 404, 201, 404, 404, 201, 201,
        data=lambda w: {"body": "Any news?"}),
    row("api:ticket-comments",            "POST",   "incident", 401, 403, 404, 201, 404, 201, 404, 404, 201, 201,
        data=lambda w: {"body": "Note", "internal": True}, label="internal note"),
    row("api:ticket-attachments",         "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:ticket-attachments",         "POST",   "incident", 401, 201, 404, 201, 404, 201, 404, 404, 201, 201,
        data=upload, json=False),
    row("api:ticket-attachments",         "GET",    "request",  401, 200, 404, 200, 404, 200, 404, 404, 200, 200, label="request"),
    row("api:ticket-history",             "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:ticket-history",             "GET",    "change",   401, 404, 404, 200, 404, 200, 404, 404, 200, 200, label="change"),
    row("api:ticket-links",               "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:ticket-links",               "POST",   "incident", 401, 403, 404, 201, 404, 201, 404, 404, 201, 201,
        data=lambda w: {"kind": "relates_to", "target": w.ticket("change").pk}),
    row("api:ticket-remove-link",         "DELETE", "incident", 401, 403, 404, 204, 404, 204, 404, 404, 204, 204,
        kwargs=lambda w: {"link_id": w.link.pk}),
    row("api:ticket-watchers",            "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:ticket-watchers",            "POST",   "incident", 401, 201, 404, 201, 404, 201, 404, 404, 201, 201,
        data=lambda w: {"user": w.users["e2"].pk}),
    row("api:ticket-remove-watcher",      "DELETE", "incident", 401, 204, 404, 204, 404, 204, 404, 404, 204, 204,
        kwargs=lambda w: {"user_id": w.extra["raiser"].pk}),
    # A reply template filled in with the ticket's number, for agents who can see it.
    row("api:canned-reply-render",        "GET",    "incident", 401, 403, 403, Y,   404, Y,   404, 403, Y,   Y,
        kwargs=lambda w: {"pk": w.extra["reply"].pk}, query=lambda w: f"ticket={w.tickets['incident'].pk}"),
    row("api:attachment-download",        "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"pk": w.public_files["incident"].pk}),
    row("api:attachment-download",        "GET",    "incident", 401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"pk": w.internal_files["incident"].pk}, label="internal file"),
    row("api:attachment-download",        "GET",    "request",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"pk": w.internal_files["request"].pk}, label="request's internal file"),

    # ---- incidents API -------------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("api:incident-list",              "GET",    "incident", 401, Y,   N,   Y,   N,   Y,   N,   N,   Y,   Y),
    row("api:incident-list",              "POST",   None,       401, 201, 201, 201, 201, 201, 201, 201, 201, 201,
        data=lambda w: {"title": "Screen flickers", "description": "Since today", "impact": 3, "urgency": 3}),
    row("api:incident-detail",            "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:incident-detail",            "PATCH",  "incident", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"title": "Printer jammed on floor 3"}),
    row("api:incident-available",         "GET",    "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:incident-problem-suggestion", "GET",   "incident", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200),
    # Starting takes the incident; admins outside team A start it without taking it.
    row("api:incident-transition-start",  "POST",   "incident", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}),
    row("api:incident-transition-hold",   "POST",   "incident", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"reason": "awaiting_caller"}, prepare=walk_incident("start")),
    row("api:incident-transition-resume", "POST",   "incident", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}, prepare=walk_incident("start", "hold")),
    row("api:incident-transition-resolve", "POST",  "incident", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"resolution_code": "solved", "resolution_notes": "Done."},
        prepare=walk_incident("start")),
    row("api:incident-transition-reopen", "POST",   "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"reason": "Again."}, prepare=walk_incident("start", "resolve")),
    row("api:incident-transition-close",  "POST",   "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}, prepare=walk_incident("start", "resolve")),
    row("api:incident-transition-cancel", "POST",   "incident", 401, 200, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"reason": "Sorted itself out."}),

    # ---- problems API --------------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("api:problem-list",               "GET",    "problem",  401, N,   N,   Y,   N,   Y,   N,   N,   Y,   Y),
    row("api:problem-list",               "POST",   None,       401, 403, 403, 201, 201, 201, 201, 403, 201, 201,
        data=lambda w: {"title": "Screens flicker", "description": "Many", "impact": 3, "urgency": 3}),
    row("api:problem-detail",             "GET",    "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:problem-detail",             "PATCH",  "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"title": "Printers jam weekly"}),
    row("api:problem-available",          "GET",    "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:problem-incidents",          "GET",    "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:problem-incidents",          "POST",   "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"incidents": [w.ticket("incident").pk]}),
    row("api:problem-unlink-incident",    "DELETE", "problem",  401, 404, 404, 204, 404, 204, 404, 404, 204, 204,
        kwargs=lambda w: {"incident_id": w.ticket("incident").pk}, prepare=link_problem),
    # Investigating takes the problem; admins outside team A investigate it without taking it.
    row("api:problem-transition-investigate", "POST", "problem", 401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}),
    row("api:problem-transition-mark_known_error", "POST", "problem", 401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"root_cause": "Rollers.", "workaround": "Tray 2."},
        prepare=walk_problem("investigate")),
    row("api:problem-transition-resolve", "POST",   "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"resolution_notes": "Replaced."}, prepare=walk_problem("investigate")),
    row("api:problem-transition-close",   "POST",   "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}, prepare=walk_problem("investigate", "resolve")),
    row("api:problem-transition-cancel",  "POST",   "problem",  401, 404, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"reason": "Not a problem."}),
    row("api:problem-raise-change",       "POST",   "problem",  401, 404, 404, 201, 404, 201, 404, 404, 201, 201,
        data=lambda w: {"change_type": "normal"}),
    # Agents read every known error; everyone else the public ones only (this one is internal).
    row("api:known-errors",               "GET",    "problem",  401, N,   N,   Y,   Y,   Y,   Y,   N,   Y,   Y,
        prepare=walk_problem("investigate", "mark_known_error")),
    row("api:known-errors",               "GET",    "problem",  401, Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,
        prepare=walk_problem("investigate", "mark_known_error", publication="public"), label="public"),

    # ---- changes API ---------------------------------------------------------------------
    # The change advisory board (change managers and CAB members) sees every change.
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("api:change-list",                "GET",    "change",   401, N,   N,   Y,   N,   Y,   Y,   Y,   Y,   Y),
    row("api:change-list",                "POST",   None,       401, 403, 403, 201, 201, 201, 201, 403, 201, 201,
        data=lambda w: {"title": "Patch the printers", "description": "Firmware", "change_type": "normal"}),
    row("api:change-detail",              "GET",    "change",   401, 404, 404, 200, 404, 200, 200, 200, 200, 200),
    row("api:change-detail",              "PATCH",  "change",   401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {"title": "Replace every printer"}),
    row("api:change-available",           "GET",    "change",   401, 404, 404, 200, 404, 200, 200, 200, 200, 200),
    row("api:change-votes",               "GET",    "change",   401, 404, 404, 200, 404, 200, 200, 200, 200, 200),
    # Only the board votes (the change manager chairs it); superusers are not on it.
    row("api:change-votes",               "POST",   "change",   401, 404, 404, 403, 404, 403, 201, 201, 403, 403,
        data=lambda w: {"decision": "approve", "comment": "Fine."},
        prepare=walk_change("submit", "request_authorization")),
    row("api:change-transition-submit",   "POST",   "change",   401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {}),
    row("api:change-transition-request_authorization", "POST", "change", 401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {}, prepare=walk_change("submit")),
    row("api:change-transition-schedule", "POST",   "change",   401, 404, 404, 409, 404, 409, 409, 409, 409, 409,
        data=lambda w: {}, prepare=walk_change("submit", "request_authorization")),
    row("api:change-transition-start",    "POST",   "change",   401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {}, prepare=walk_change("submit", "request_authorization", "vote")),
    row("api:change-transition-complete", "POST",   "change",   401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {"outcome": "successful"},
        prepare=walk_change("submit", "request_authorization", "vote", "start")),
    row("api:change-transition-close",    "POST",   "change",   401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {"review_notes": "Went well."},
        prepare=walk_change("submit", "request_authorization", "vote", "start", "complete")),
    row("api:change-transition-cancel",   "POST",   "change",   401, 404, 404, 200, 404, 200, 200, 403, 200, 200,
        data=lambda w: {"reason": "Not needed."}),

    # ---- service requests API ------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("api:request-list",               "GET",    "request",  401, Y,   N,   Y,   N,   Y,   N,   N,   Y,   Y),
    row("api:request-list",               "POST",   None,       401, 201, 201, 201, 201, 201, 201, 201, 201, 201,
        data=lambda w: {"catalog_item": w.extra["item"].pk, "answers": {}}),
    row("api:request-detail",             "GET",    "request",  401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:request-detail",             "PATCH",  "request",  401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"title": "Toner for floor 3"}),
    row("api:request-available",          "GET",    "request",  401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:request-tasks",              "GET",    "request",  401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    # Nobody of the matrix approves this request (its item needs no approval): refused.
    row("api:request-transition-approve", "POST",   "request",  401, 409, 404, 409, 404, 409, 404, 404, 409, 409,
        data=lambda w: {"comment": "Yes."}),
    row("api:request-transition-reject",  "POST",   "request",  401, 409, 404, 409, 404, 409, 404, 404, 409, 409,
        data=lambda w: {"comment": "No."}),
    row("api:request-transition-start_fulfilment", "POST", "request", 401, 409, 404, 409, 404, 409, 404, 404, 409, 409,
        data=lambda w: {}),
    # Only the system fulfils (when the last task is done); its state is checked first.
    row("api:request-transition-fulfil",  "POST",   "request",  401, 409, 404, 409, 404, 409, 404, 404, 409, 409,
        data=lambda w: {}),
    row("api:request-transition-cancel",  "POST",   "request",  401, 409, 404, 409, 404, 409, 404, 404, 409, 409,
        data=lambda w: {"reason": "Found some."}),
    row("api:request-transition-close",   "POST",   "request",  401, 200, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}, prepare=fulfil_request),
    row("api:fulfilment-task-list",       "GET",    "task",     401, Y,   N,   Y,   N,   Y,   N,   N,   Y,   Y),
    row("api:fulfilment-task-detail",     "GET",    "task",     401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:fulfilment-task-available",  "GET",    "task",     401, 200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("api:fulfilment-task-transition-start", "POST", "task", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {}),
    row("api:fulfilment-task-transition-complete", "POST", "task", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"notes": "Delivered."}),
    row("api:fulfilment-task-transition-cancel", "POST", "task", 401, 403, 404, 200, 404, 200, 404, 404, 200, 200,
        data=lambda w: {"reason": "Not needed."}),

    # ---- exports, search, reports, dashboard ---------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("reports:export-tickets",         "GET",    "incident", L,   Y,   N,   Y,   N,   Y,   N,   N,   Y,   Y),
    row("reports:export-tickets",         "GET",    "incident", L,   N,   N,   Y,   N,   Y,   N,   N,   Y,   Y, query=f"search={SECRET}", label="search an internal note"),
    row("reports:search",                 "GET",    "incident", L,   403, 403, Y,   N,   Y,   N,   403, Y,   Y,
        query="q=jammed"),
    row("reports:reports",                "GET",    None,       L,   403, 403, 403, 403, 200, 403, 403, 200, 200),
    row("reports:report-csv",             "GET",    None,       L,   403, 403, 403, 403, 200, 403, 403, 200, 200,
        kwargs=lambda w: {"name": "backlog"}),
    # My work and my teams' queues: admins of no team see none of team A's.
    row("dashboard",                      "GET",    "incident", L,   403, 403, Y,   N,   Y,   N,   403, N,   N),

    # ---- incidents UI --------------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("incidents:list",                 "GET",    "incident", L,   403, 403, Y,   N,   Y,   N,   403, Y,   Y),
    row("incidents:create",               "GET",    None,       L,   403, 403, 200, 200, 200, 200, 403, 200, 200),
    row("incidents:bulk",                 "POST",   "incident", L,   403, 403, 302, "302~", 302, "302~", 403, 302, 302,
        data=lambda w: {"action": "resolve", "ids": [w.ticket("incident").pk],
                        "resolution_code": "solved", "resolution_notes": "Done."},
        prepare=walk_incident("start")),
    row("incidents:detail",               "GET",    "incident", L,   404, 404, 200, 404, 200, 404, 404, 200, 200),
    row("incidents:sla",                  "GET",    "incident", L,   404, 404, 200, 404, 200, 404, 404, 200, 200),
    row("incidents:transition",           "POST",   "incident", L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        kwargs=lambda w: {"name": "start"}, data=version("incident")),
    row("incidents:comment",              "POST",   "incident", L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("incident").version, "body": "On it.",
                        "visibility": "internal"}),
    row("incidents:assign",               "POST",   "incident", L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("incident").version,
                        "assignment_group": w.extra["team_a"].pk,
                        "assignee": w.users["agent_a"].pk}),
    row("incidents:link_add",             "POST",   "incident", L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("incident").version, "kind": "relates_to",
                        "number": w.ticket("request").number}),
    row("incidents:link_remove",          "POST",   "incident", L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        kwargs=lambda w: {"link_pk": w.link.pk}, data=version("incident")),
    row("incidents:major",                "POST",   "incident", L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("incident").version, "is_major": "1",
                        "reason": "Whole floor."}),
    # Renders a reply template into the reply box: it writes nothing.
    row("incidents:canned_reply",         "POST",   "incident", L,   404, 404, "200~", 404, "200~", 404, 404, "200~", "200~",
        data=lambda w: {"canned_reply": w.extra["reply"].pk, "body": ""}),
    row("incidents:attachment",           "GET",    "incident", L,   200, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"attachment_pk": w.public_files["incident"].pk}),
    row("incidents:attachment",           "GET",    "incident", L,   404, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"attachment_pk": w.internal_files["incident"].pk}, label="internal file"),

    # ---- problems UI ---------------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("problems:list",                  "GET",    "problem",  L,   403, 403, Y,   N,   Y,   N,   403, Y,   Y),
    row("problems:create",                "GET",    None,       L,   403, 403, 200, 200, 200, 200, 403, 200, 200),
    # Agents read every known error, internal ones included.
    row("problems:known-errors",          "GET",    "problem",  L,   403, 403, Y,   Y,   Y,   Y,   403, Y,   Y,
        prepare=walk_problem("investigate", "mark_known_error")),
    row("problems:detail",                "GET",    "problem",  L,   404, 404, 200, 404, 200, 404, 404, 200, 200),
    row("problems:transition",            "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        kwargs=lambda w: {"name": "cancel"},
        data=lambda w: {"version": w.ticket("problem").version, "reason": "Not a problem."}),
    row("problems:edit",                  "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("problem").version, "title": "Printers jam weekly",
                        "description": "Often", "impact": 3, "urgency": 3,
                        "publication": "internal"}),
    row("problems:assign",                "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("problem").version,
                        "assignment_group": w.extra["team_a"].pk,
                        "assignee": w.users["agent_a"].pk}),
    row("problems:note",                  "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("problem").version, "body": "Rollers again.",
                        "visibility": "internal"}),
    row("problems:link-incidents",        "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("problem").version,
                        "numbers": w.ticket("incident").number}),
    row("problems:unlink-incident",       "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        kwargs=lambda w: {"incident_pk": w.ticket("incident").pk}, data=version("problem"),
        prepare=link_problem),
    row("problems:raise-change",          "POST",   "problem",  L,   404, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"version": w.ticket("problem").version, "change_type": "normal"}),
    row("problems:attachment",            "GET",    "problem",  L,   404, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"attachment_pk": w.public_files["problem"].pk}),
    row("problems:attachment",            "GET",    "problem",  L,   404, 404, 200, 404, 200, 404, 404, 200, 200,
        kwargs=lambda w: {"attachment_pk": w.internal_files["problem"].pk}, label="internal file"),

    # ---- service requests UI -------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("requests:list",                  "GET",    "request",  L,   403, 403, Y,   N,   Y,   N,   403, Y,   Y),
    row("requests:detail",                "GET",    "request",  L,   403, 403, 200, 404, 200, 404, 403, 200, 200),
    row("requests:transition",            "POST",   "request",  L,   403, 403, 302, 404, 302, 404, 403, 302, 302,
        kwargs=lambda w: {"name": "close"}, data=lambda w: {}, prepare=fulfil_request),
    row("requests:reply",                 "POST",   "request",  L,   403, 403, 302, 404, 302, 404, 403, 302, 302,
        data=lambda w: {"body": "On it.", "internal": "on"}),
    # The queue of my teams' tasks.
    row("requests:tasks",                 "GET",    "task",     L,   403, 403, Y,   N,   Y,   N,   403, N,   N),
    row("requests:task-transition",       "POST",   "task",     L,   403, 403, 302, 404, 302, 404, 403, 302, 302,
        kwargs=lambda w: {"name": "start"}, data=lambda w: {}),

    # ---- changes UI ----------------------------------------------------------------------
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("changes:list",                   "GET",    "change",   L,   403, 403, Y,   N,   Y,   Y,   Y,   Y,   Y),
    row("changes:create",                 "GET",    None,       L,   403, 403, 200, 200, 200, 200, 403, 200, 200),
    row("changes:cab-queue",              "GET",    "change",   L,   403, 403, N,   N,   N,   Y,   Y,   N,   Y,
        prepare=walk_change("submit", "request_authorization")),
    row("changes:calendar",               "GET",    "change",   L,   403, 403, Y,   N,   Y,   Y,   Y,   Y,   Y,
        prepare=walk_change("submit", "request_authorization", "vote"), query=calendar_week),
    row("changes:detail",                 "GET",    "change",   L,   403, 403, 200, 404, 200, 200, 200, 200, 200),
    row("changes:edit",                   "GET",    "change",   L,   403, 403, 200, 404, 200, 200, 403, 200, 200),
    row("changes:edit",                   "POST",   "change",   L,   403, 403, 302, 404, 302, 302, 403, 302, 302,
        data=change_edit_data),
    row("changes:vote",                   "POST",   "change",   L,   403, 403, "302~", 404, "302~", 302, 302, "302~", "302~",
        data=lambda w: {"version": w.ticket("change").version, "decision": "approve",
                        "comment": "Fine."},
        prepare=walk_change("submit", "request_authorization")),
    row("changes:transition",             "POST",   "change",   L,   403, 403, 302, 404, 302, 302, "302~", 302, 302,
        kwargs=lambda w: {"name": "submit"},
        data=lambda w: {"submit-version": w.ticket("change").version}),

    # ---- portal --------------------------------------------------------------------------
    # The portal shows what the user requested or watches, whoever they are.
    #   url name                          method    on          anon e1   e2   A    B    lead chg  cab  admin su
    row("portal:home",                    "GET",    "incident", L,   Y,   N,   N,   N,   N,   N,   N,   N,   N),
    row("portal:tickets",                 "GET",    "incident", L,   Y,   N,   N,   N,   N,   N,   N,   N,   N),
    row("portal:incident",                "GET",    "incident", L,   200, 404, 404, 404, 404, 404, 404, 404, 404),
    row("portal:incident-reply",          "POST",   "incident", L,   302, 404, 404, 404, 404, 404, 404, 404, 404,
        data=lambda w: {"version": w.ticket("incident").version, "body": "Still jammed."}),
    row("portal:incident-action",         "POST",   "incident", L,   302, 404, 404, 404, 404, 404, 404, 404, 404,
        kwargs=lambda w: {"action": "cancel"},
        data=lambda w: {"version": w.ticket("incident").version, "reason": "Fixed it."}),
    row("portal:incident-rate",           "POST",   "incident", L,   302, 404, 404, 404, 404, 404, 404, 404, 404,
        data=lambda w: {"score": 5, "comment": "Quick."}, prepare=walk_incident("start", "resolve")),
    row("portal:attachment",              "GET",    "incident", L,   200, 404, 404, 404, 404, 404, 404, 404, 404,
        kwargs=lambda w: {"pk": w.public_files["incident"].pk}),
    row("portal:attachment",              "GET",    "incident", L,   404, 404, 404, 404, 404, 404, 404, 404, 404,
        kwargs=lambda w: {"pk": w.internal_files["incident"].pk}, label="internal file"),
    row("portal:requests",                "GET",    "request",  L,   Y,   N,   N,   N,   N,   N,   N,   N,   N),
    row("portal:request-detail",          "GET",    "request",  L,   200, 404, 200, 404, 200, 404, 404, 200, 200),
    row("portal:request-reply",           "POST",   "request",  L,   302, 404, 302, 404, 302, 404, 404, 302, 302,
        data=lambda w: {"body": "Thanks."}),
    row("portal:request-action",          "POST",   "request",  L,   302, 404, 302, 404, 302, 404, 404, 302, 302,
        kwargs=lambda w: {"name": "close"}, data=lambda w: {}, prepare=fulfil_request),
    row("portal:approvals",               "GET",    "request",  L,   N,   N,   N,   N,   N,   N,   N,   N,   N),
    row("portal:suggestions",             "GET",    "problem",  L,   N,   N,   N,   N,   N,   N,   N,   N,   N,
        query="q=printers", prepare=walk_problem("investigate", "mark_known_error")),

    # ---- notifications -------------------------------------------------------------------
    # Each user reads their own notices only: the world has one, agent A's, about the incident.
    row("notifications:list",             "GET",    "incident", L,   403, 403, Y,   N,   N,   N,   403, N,   N),
    row("notifications:bell",             "GET",    None,       L,   403, 403, 200, 200, 200, 200, 403, 200, 200),
    row("api:notification-list",          "GET",    "incident", 401, N,   N,   Y,   N,   N,   N,   N,   N,   N),
]
# fmt: on


# URL names that expose no ticket (nor any part of one), each with why.
NOT_A_TICKET_SURFACE: dict[str, str] = {
    "home": "redirects to the dashboard or the portal",
    "login": "signing in",
    "logout": "signing out",
    "healthz": "liveness probe",
    "api:schema": "the OpenAPI document",
    "api:docs": "the API's documentation page",
    "api:not-found": "the API's JSON 404 for unknown paths",
    "api:token-obtain": "issues API tokens",
    "api:me": "the caller's own account",
    "api:user-list": "people (admins manage them)",
    "api:user-detail": "people (admins manage them)",
    "api:team-list": "teams",
    "api:team-detail": "teams",
    "api:service-list": "services",
    "api:service-detail": "services",
    "api:configuration-item-list": "configuration items",
    "api:configuration-item-detail": "configuration items",
    "api:canned-reply-list": "reply templates",
    "api:canned-reply-detail": "reply templates",
    "api:business-calendar-list": "SLA calendars",
    "api:business-calendar-detail": "SLA calendars",
    "api:business-calendar-load-holidays": "SLA calendars",
    "api:sla-policy-list": "SLA policies",
    "api:sla-policy-detail": "SLA policies",
    "api:notification-preferences": "the caller's own notification settings",
    "api:notification-read": "marks one of the caller's own notifications read",
    "api:notification-read-all": "marks the caller's own notifications read",
    "api:webhook-list": "webhook subscriptions (service-desk admins only)",
    "api:webhook-detail": "webhook subscriptions (service-desk admins only)",
    "api:webhook-deliveries": "delivery log of a subscription (service-desk admins only)",
    "api:catalog-item-list": "the service catalog",
    "api:catalog-item-detail": "the service catalog",
    "api:freeze-period-list": "change freeze windows",
    "api:freeze-period-detail": "change freeze windows",
    "api:standard-change-list": "standard change templates",
    "api:standard-change-detail": "standard change templates",
    "api:standard-change-instantiate": "raises a new change from a template: no existing ticket",
    "portal:report": "the form to report a new issue: no existing ticket",
    "portal:catalog": "the service catalog",
    "portal:catalog-item": "orders a new request: no existing ticket",
    "portal:answers": "knowledge articles",
    "portal:article": "knowledge articles",
    "portal:article-vote": "knowledge articles",
    "notifications:read": "marks one of the user's own notifications read",
    "notifications:read-all": "marks the user's own notifications read",
    "notifications:preferences": "the user's own notification settings",
    "notifications:portal-preferences": "the user's own notification settings",
    "incidents:saved_filter_create": "the agent's own saved list filters",
    "incidents:saved_filter_delete": "the agent's own saved list filters",
    "incidents:agent_options": "the agents of a team, for the assignment form",
    "incidents:priority_preview": "the priority that an impact and urgency give",
    "requests:new": "the catalog, to order a new request: no existing ticket",
    "requests:order": "orders a new request: no existing ticket",
    "changes:from-template": "raises a new change from a template: no existing ticket",
    "changes:feed-manage": "creates or revokes the user's calendar feed token",
    # Its credential is the token in the URL, not the session: it follows the token owner's
    # scope (tests/changes/test_views.py::test_the_feed_follows_the_users_scope).
    "changes:feed": "the calendar feed of the token's owner",
    "knowledge:list": "knowledge articles",
    "knowledge:new": "knowledge articles",
    "knowledge:edit": "knowledge articles",
}
