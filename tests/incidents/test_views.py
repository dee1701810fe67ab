"""The incident agent UI: list, incident page, its forms, bulk actions and the new-incident form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents import services
from incidents.models import Category, Incident
from servicedesk.core import services as core_services
from servicedesk.core.choices import AuditAction, LinkKind
from servicedesk.core.errors import NotPermitted
from servicedesk.core.models import Attachment, AuditEvent, Comment, Ticket, TicketLink
from tests.factories import (
    ServiceFactory,
    TeamFactory,
    make_agent,
    make_end_user,
    make_incident,
    make_request,
)
from tests.incidents.factories import incident_in

# session, user, the user's own and group permissions, the major-incident banner, the
# paginator's count, the page of rows, the saved filters, then the filter form's teams,
# agents, categories and services: whatever the number of incidents.
LIST_QUERIES = 12
# session, user, permissions (2), the incident, its CIs, comments, attachments, history,
# the users and teams the history names, the teams of the assignment form, the user's
# teams (for the transitions), the links, the canned replies, the banner and the agents
# of the incident's team: whatever the length of the timeline.
DETAIL_QUERIES = 17


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def listed(response) -> list[str]:
    return [incident.number for incident in response.context["incidents"]]


def detail_url(incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])


def history(incident) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(ticket_id=incident.pk)
        .order_by("pk")
        .values_list("action", "transition")
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def incident(team, end_user):
    return make_incident(
        title="Printer on floor 3 is jammed", requester=end_user, assignment_group=team
    )


# --- access ---------------------------------------------------------------------------------------


def incident_routes(incident, link):
    pk = incident.pk
    return {
        "detail": ("get", reverse("incidents:detail", args=[pk])),
        "sla": ("get", reverse("incidents:sla", args=[pk])),
        "transition": ("post", reverse("incidents:transition", args=[pk, "start"])),
        "comment": ("post", reverse("incidents:comment", args=[pk])),
        "assign": ("post", reverse("incidents:assign", args=[pk])),
        "link_add": ("post", reverse("incidents:link_add", args=[pk])),
        "link_remove": ("post", reverse("incidents:link_remove", args=[pk, link.pk])),
        "major": ("post", reverse("incidents:major", args=[pk])),
        "canned_reply": ("post", reverse("incidents:canned_reply", args=[pk])),
    }


ROUTES = [
    "detail",
    "sla",
    "transition",
    "comment",
    "assign",
    "link_add",
    "link_remove",
    "major",
    "canned_reply",
]


@pytest.fixture
def linked(incident, team, agent):
    other = make_incident(title="Second printer jam", assignment_group=team)
    return core_services.link_add(source=incident, target=other, kind=LinkKind.RELATES_TO, by=agent)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", ["other_agent", "end_user"])
def test_end_users_and_other_teams_get_404_on_the_page_and_every_form(
    request, incident, linked, route, who
):
    # The end user is the incident's requester: the portal is their place, not this page.
    method, url = incident_routes(incident, linked)[route]
    data = {"version": incident.version, "body": "x", "reason": "x", "is_major": "1"}
    before = history(incident)

    response = getattr(signed_in(request.getfixturevalue(who)), method)(url, data)

    assert response.status_code == 404
    assert history(incident) == before
    assert Incident.objects.get(pk=incident.pk).version == incident.version


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in_from_every_incident_route(
    client, incident, linked, route
):
    method, url = incident_routes(incident, linked)[route]

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    ("route", "status"),
    [
        ("detail", 200),
        ("sla", 200),
        ("transition", 400),
        ("comment", 400),
        ("assign", 400),
        ("link_add", 400),
        ("link_remove", 400),
        ("major", 400),
        ("canned_reply", 200),
    ],
)
def test_an_agent_of_the_team_reaches_every_route(agent, incident, linked, route, status):
    method, url = incident_routes(incident, linked)[route]

    # An empty form is refused with its errors, never a 500.
    response = getattr(signed_in(agent), method)(url, {})

    assert response.status_code == status


@pytest.mark.parametrize(
    "url",
    [
        reverse("incidents:list"),
        reverse("incidents:create"),
        reverse("incidents:agent_options"),
        reverse("incidents:priority_preview"),
    ],
)
def test_agent_only_pages_refuse_end_users_and_send_anonymous_visitors_to_sign_in(
    client, end_user, url
):
    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    assert signed_in(end_user).get(url).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        reverse("incidents:bulk"),
        reverse("incidents:saved_filter_create"),
        reverse("incidents:saved_filter_delete", args=[1]),
    ],
)
def test_list_forms_refuse_end_users(end_user, url):
    assert signed_in(end_user).post(url, {"name": "x", "action": "assign"}).status_code == 403


def test_the_agent_navigation_has_incidents_and_new_incident(agent):
    content = signed_in(agent).get(reverse("incidents:list")).content.decode()

    assert '<a href="/incidents/" aria-current="page">Incidents</a>' in content
    assert '<a href="/incidents/new/">New incident</a>' in content


def test_dashboard_rows_link_each_ticket_to_its_page(agent, team):
    incident = make_incident(title="Mail is down", assignment_group=team, assignee=agent)
    request_ticket = make_request(title="New laptop", assignment_group=team, assignee=agent)

    content = signed_in(agent).get(reverse("dashboard")).content.decode()

    assert (
        f'<td data-label="Number" class="nowrap mono"><a href="/incidents/{incident.pk}/">'
        f"{incident.number}</a></td>"
    ) in content
    assert (
        f'<td data-label="Number" class="nowrap mono"><a href="/requests/{request_ticket.pk}/">'
        f"{request_ticket.number}</a></td>"
    ) in content


# --- the list -------------------------------------------------------------------------------------


def test_the_list_shows_the_teams_incidents_with_their_columns(agent, team, other_team, end_user):
    agent.time_zone = "Europe/Paris"
    agent.save(update_fields=["time_zone"])
    end_user.first_name, end_user.last_name = "Eve", "Adams"
    end_user.save(update_fields=["first_name", "last_name"])
    mine = make_incident(
        title="VPN drops",
        requester=end_user,
        assignment_group=team,
        assignee=agent,
        impact=1,
        urgency=1,
    )
    make_incident(title="Switch port flapping", assignment_group=other_team)
    Ticket.objects.filter(pk=mine.pk).update(updated_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))

    response = signed_in(agent).get(reverse("incidents:list"))

    assert response.status_code == 200
    assert response.templates[0].name == "incidents/list.html"
    assert listed(response) == [mine.number]
    content = response.content.decode()
    assert "Switch port flapping" not in content
    assert f'<a href="/incidents/{mine.pk}/">{mine.number}</a>' in content
    assert '<span class="status status--new">New</span>' in content
    assert '<span class="badge badge--p1">P1 critical</span>' in content
    assert '<span class="badge badge--sla-in_progress">In progress</span>' in content
    assert f'<td data-label="Team">{team.name}</td>' in content
    assert f'<td data-label="Assignee">{agent.display_name}</td>' in content
    assert '<td data-label="Requester">Eve Adams</td>' in content
    assert '<time datetime="2026-01-15T13:00:00+01:00"' in content
    assert '<p id="results-summary" class="muted" role="status">1 incident\n</p>' in content


@pytest.fixture
def spread(team, other_team, agent, lead, end_user):
    """Incidents that differ in every filtered field, all visible to ``agent``."""
    printers = Category.objects.create(name="Printers")
    mail = ServiceFactory(name="Mail")
    first = make_incident(
        title="Printer jams",
        description="Tray 2",
        assignment_group=team,
        assignee=agent,
        impact=3,
        urgency=3,
        category=printers,
    )
    second = make_incident(
        title="Mail bounces", assignment_group=team, impact=1, urgency=1, service=mail
    )
    third = make_incident(title="Slow laptop", assignment_group=team, assignee=lead)
    third = services.incident_start(incident=third, by=lead)
    second = services.incident_set_major(incident=second, by=agent, is_major=True, reason="All")
    Ticket.objects.filter(pk=first.pk).update(
        created_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC), sla_state="breached"
    )
    Ticket.objects.filter(pk=second.pk).update(created_at=datetime(2026, 2, 10, 9, 0, tzinfo=UTC))
    Ticket.objects.filter(pk=third.pk).update(created_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    return {"first": first, "second": second, "third": third, "printers": printers, "mail": mail}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=in_progress", ["third"]),
        ("status=new&status=in_progress", ["first", "second", "third"]),
        ("priority=1", ["second"]),
        ("priority=1&priority=5", ["first", "second"]),
        ("unassigned=true", ["second"]),
        ("sla_state=breached", ["first"]),
        ("is_major=true", ["second"]),
        ("is_major=false", ["first", "third"]),
        ("search=tray", ["first"]),
        ("search=mail", ["second"]),
        ("created_after=2026-02-01&created_before=2026-03-01", ["second"]),
    ],
)
def test_each_filter_narrows_the_list(agent, spread, query, expected):
    response = signed_in(agent).get(f"{reverse('incidents:list')}?{query}&ordering=number")

    assert listed(response) == [spread[name].number for name in expected]


def test_the_filters_by_team_assignee_category_and_service(agent, lead, team, spread):
    url = reverse("incidents:list") + "?ordering=number&"
    client = signed_in(agent)

    assert listed(client.get(url + f"assignee={lead.pk}")) == [spread["third"].number]
    assert listed(client.get(url + f"category={spread['printers'].pk}")) == [spread["first"].number]
    assert listed(client.get(url + f"service={spread['mail'].pk}")) == [spread["second"].number]
    assert len(listed(client.get(url + f"assignment_group={team.pk}"))) == 3


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("number", ["first", "second", "third"]),
        ("-number", ["third", "second", "first"]),
        ("priority", ["second", "third", "first"]),
        ("-priority", ["first", "third", "second"]),
        ("title", ["second", "first", "third"]),
        ("status", ["third", "first", "second"]),  # by the stored value, then number
    ],
)
def test_sorting_by_a_column(agent, spread, ordering, expected):
    response = signed_in(agent).get(f"{reverse('incidents:list')}?ordering={ordering}")

    assert listed(response) == [spread[name].number for name in expected]


def test_column_headers_sort_and_say_how(agent, spread):
    response = signed_in(agent).get(reverse("incidents:list") + "?ordering=title&status=new")

    headers = {h["key"]: h for h in response.context["headers"]}
    assert headers["title"]["sort"] == "ascending"
    assert headers["title"]["url"] == "?ordering=-title&status=new"
    assert headers["number"]["sort"] is None
    assert headers["number"]["url"] == "?ordering=number&status=new"
    assert headers["updated"]["url"] == "?ordering=-updated_at&status=new"
    assert headers["team"]["url"] is None
    content = response.content.decode()
    assert '<th scope="col" aria-sort="ascending"><a class="sort sort--ascending"' in content


def test_the_default_order_is_most_recently_updated_first(agent, spread):
    Ticket.objects.filter(pk=spread["first"].pk).update(updated_at=datetime(2027, 1, 1, tzinfo=UTC))

    response = signed_in(agent).get(reverse("incidents:list"))

    assert listed(response)[0] == spread["first"].number
    assert response.context["ordering"] == "-updated_at"


def test_invalid_filters_are_reported_and_never_a_500(agent, spread):
    response = signed_in(agent).get(
        reverse("incidents:list") + "?status=nonsense&priority=9&ordering=nope&created_after=x"
    )

    assert response.status_code == 200
    assert set(response.context["filter_errors"]) == {
        "status",
        "priority",
        "ordering",
        "created_after",
    }
    assert len(listed(response)) == 3
    assert "Some filters were left out because they are not valid:" in response.content.decode()


def test_the_list_pages_by_25(agent, team):
    incidents = [make_incident(title=f"Jam {n}", assignment_group=team) for n in range(27)]
    client = signed_in(agent)

    first = client.get(reverse("incidents:list") + "?ordering=number")
    second = client.get(reverse("incidents:list") + "?ordering=number&page=2")

    assert listed(first) == [i.number for i in incidents[:25]]
    assert listed(second) == [i.number for i in incidents[25:]]
    content = second.content.decode()
    assert "27 incidents · page 2 of 2" in content
    assert '<a href="?ordering=number&amp;page=2" aria-current="page">2</a>' in content
    assert '<a href="?ordering=number&amp;page=1" rel="prev">Previous</a>' in content


def test_htmx_gets_only_the_results_and_a_clean_address(agent, spread):
    response = signed_in(agent).get(
        reverse("incidents:list") + "?status=new&search=&assignee=&ordering=number",
        headers={"HX-Request": "true", "HX-Target": "results"},
    )

    assert response.status_code == 200
    assert response.templates[0].name == "incidents/_results.html"
    assert response["HX-Push-Url"] == "/incidents/?status=new&ordering=number"
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="results" class="panel results">')
    assert '<p id="results-summary" hx-swap-oob="innerHTML">2 incidents\n</p>' in content
    assert (
        '<input type="hidden" name="query" id="saved-filter-query" '
        'value="status=new&amp;ordering=number" hx-swap-oob="true">'
    ) in content


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_costs_a_fixed_number_of_queries(
    agent, team, end_user, django_assert_num_queries, count
):
    for n in range(count):
        make_incident(
            title=f"Jam {n}",
            requester=end_user,
            assignment_group=team,
            assignee=agent if n % 2 else None,
        )
    client = signed_in(agent)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("incidents:list"))

    assert len(listed(response)) == min(count, 25)


# --- bulk actions ---------------------------------------------------------------------------------


def test_bulk_resolve_reports_each_success_and_each_failure(agent, team, other_team):
    started = services.incident_start(
        incident=make_incident(title="A", assignment_group=team), by=agent
    )
    on_hold = services.incident_hold(
        incident=services.incident_start(
            incident=make_incident(title="B", assignment_group=team), by=agent
        ),
        by=agent,
        reason="awaiting_caller",
    )
    fresh = make_incident(title="C", assignment_group=team)
    hidden = make_incident(title="D", assignment_group=other_team)

    response = signed_in(agent).post(
        reverse("incidents:bulk"),
        {
            "action": "resolve",
            "ids": [started.pk, fresh.pk, on_hold.pk, hidden.pk],
            "resolution_code": "solved",
            "resolution_notes": "Toner replaced",
            "next": "/incidents/?status=in_progress",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/incidents/?status=in_progress"
    assert messages_of(response) == [
        f"{fresh.number}: “resolve” is not allowed while the ticket is new.",
        "1 of the selected incidents could not be found.",
        f"Resolved: {started.number}, {on_hold.number}.",
    ]
    statuses = dict(Incident.objects.values_list("number", "status"))
    assert [statuses[i.number] for i in (started, on_hold, fresh, hidden)] == [
        "resolved",
        "resolved",
        "new",
        "new",
    ]


def test_bulk_assign_runs_each_incident_through_the_service(agent, lead, team, other_agent):
    network = other_agent.teams.get()
    first = make_incident(title="A", assignment_group=team)
    second = make_incident(title="B", assignment_group=team)
    client = signed_in(agent)

    refused = client.post(
        reverse("incidents:bulk"),
        {
            "action": "assign",
            "ids": [first.pk, second.pk],
            "assignment_group": team.pk,
            "assignee": other_agent.pk,
        },
    )
    assert messages_of(refused) == [
        "Agent: Select a valid choice. That choice is not one of the available choices."
    ]

    response = signed_in(agent).post(
        reverse("incidents:bulk"),
        {
            "action": "assign",
            "ids": [first.pk, second.pk],
            "assignment_group": network.pk,
            "assignee": other_agent.pk,
        },
    )

    assert response["Location"] == "/incidents/"
    assert messages_of(response) == [
        f"Assigned to {other_agent.display_name}: {first.number}, {second.number}."
    ]
    assert list(Incident.objects.order_by("pk").values_list("assignment_group", "assignee")) == [
        (network.pk, other_agent.pk),
        (network.pk, other_agent.pk),
    ]
    assert AuditEvent.objects.filter(action=AuditAction.ASSIGNED, actor=agent).count() == 2


def test_bulk_assign_reports_an_incident_that_fails_and_keeps_the_others(agent, team, monkeypatch):
    ok = make_incident(title="A", assignment_group=team)
    broken = make_incident(title="B", assignment_group=team)
    real = services.incident_assign

    def flaky(*, incident, **kwargs):
        if incident.pk == broken.pk:
            # Changed meanwhile by someone else, and refused halfway through.
            Ticket.objects.filter(pk=incident.pk).update(title="Changed")
            raise NotPermitted("You do not work on this incident.")
        return real(incident=incident, **kwargs)

    monkeypatch.setattr(services, "incident_assign", flaky)

    response = signed_in(agent).post(
        reverse("incidents:bulk"),
        {"action": "assign", "ids": [broken.pk, ok.pk], "assignment_group": team.pk},
    )

    assert messages_of(response) == [
        f"{broken.number}: You do not work on this incident.",
        f"Assigned to {team.name}: {ok.number}.",
    ]
    # The failed item's transaction rolled back; the other one went through.
    assert Ticket.objects.get(pk=broken.pk).title == "B"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "resolve"}, "Select at least one incident first."),
        ({"action": "explode", "ids": ["1"]}, None),
        (
            {"action": "resolve", "ids": ["1"], "resolution_code": "solved"},
            "Resolution notes: This field is required.",
        ),
    ],
)
def test_bulk_forms_with_errors_say_so(agent, data, message):
    response = signed_in(agent).post(reverse("incidents:bulk"), data)

    assert response.status_code == 302
    shown = messages_of(response)
    assert len(shown) == 1
    if message:
        assert shown == [message]


def test_bulk_never_redirects_off_site(agent):
    response = signed_in(agent).post(
        reverse("incidents:bulk"), {"action": "resolve", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/incidents/"


# --- the incident page ----------------------------------------------------------------------------


def test_the_page_shows_header_fields_and_the_timeline(agent, team, end_user, incident, lead):
    agent.time_zone = "Europe/Paris"
    agent.save(update_fields=["time_zone"])
    incident = services.incident_start(incident=incident, by=agent)
    core_services.comment_add(ticket=incident, by=agent, body="Looking at it **now**.")
    core_services.comment_add(
        ticket=incident, by=agent, body="Probably the fuser <script>x()</script>", internal=True
    )
    core_services.ticket_override_priority(
        ticket=incident, by=lead, priority=1, reason="CEO's floor"
    )

    response = signed_in(agent).get(detail_url(incident))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Printer on floor 3 is jammed</h1>" in content
    assert '<span class="status status--in_progress">In progress</span>' in content
    assert '<span class="badge badge--p1">P1 critical</span>' in content
    assert f"Priority set by {lead.display_name}: CEO&#x27;s floor" in content
    assert f"<dd>{end_user.display_name}" in content
    entries = response.context["entries"]
    assert [(e.kind, e.summary) for e in entries] == [
        ("event", f"{end_user.display_name} logged it"),
        ("event", f"{agent.display_name} assigned it"),
        ("event", f"{agent.display_name} started work"),
        ("comment", ""),
        ("comment", ""),
        ("event", f"{lead.display_name} overrode the priority"),
    ]
    assert [(c.label, c.old, c.new) for c in entries[1].changes] == [
        ("Assignee", "—", agent.display_name)
    ]
    assert [(c.label, c.old, c.new) for c in entries[2].changes] == [
        ("Status", "New", "In progress")
    ]
    assert [(c.label, c.old, c.new) for c in entries[5].changes] == [
        ("Priority", "P3 moderate", "P1 critical")
    ]
    assert entries[5].note == "CEO's floor"
    # Public replies and internal notes look different; Markdown is rendered and sanitised.
    assert '<li class="entry entry--comment" id="comment-' in content
    assert '<li class="entry entry--comment entry--internal" id="comment-' in content
    assert '<div class="prose"><p>Looking at it <strong>now</strong>.</p></div>' in content
    assert '<div class="prose"><p>Probably the fuser </p></div>' in content
    assert "<script>x()" not in content
    assert 'Status: <span class="changes__old">New</span> → ' in content


def test_only_the_transitions_allowed_now_are_buttons(agent, incident):
    client = signed_in(agent)

    def names():
        return [t["name"] for t in client.get(detail_url(incident)).context["transitions"]]

    assert names() == ["start", "cancel"]
    incident = services.incident_start(incident=incident, by=agent)
    assert names() == ["hold", "resolve", "cancel"]
    incident = services.incident_hold(incident=incident, by=agent, reason="awaiting_caller")
    assert names() == ["resume", "resolve", "cancel"]
    incident = services.incident_resolve(
        incident=incident, by=agent, resolution_code="solved", resolution_notes="Fixed"
    )
    assert names() == ["reopen", "close"]
    services.incident_close(incident=incident, by=agent)
    assert names() == []


def test_a_watching_agent_of_another_team_sees_the_page_but_no_work_forms(
    agent, other_agent, incident
):
    core_services.watcher_add(ticket=incident, user=other_agent, by=agent)

    response = signed_in(other_agent).get(detail_url(incident))

    assert response.status_code == 200
    assert response.context["transitions"] == []
    assert response.context["can_work"] is False
    assert 'id="assignment"' not in response.content.decode()


@pytest.mark.parametrize(
    ("state", "name", "data", "target", "message"),
    [
        ("new", "start", {}, "in_progress", "Work started on INC0000001."),
        (
            "in_progress",
            "hold",
            {"reason": "awaiting_vendor", "note": "Vendor case 42"},
            "on_hold",
            "INC0000001 is on hold.",
        ),
        ("on_hold", "resume", {}, "in_progress", "Work resumed on INC0000001."),
        (
            "in_progress",
            "resolve",
            {"resolution_code": "workaround", "resolution_notes": "Cleared the tray"},
            "resolved",
            "INC0000001 is resolved.",
        ),
        (
            "on_hold",
            "resolve",
            {"resolution_code": "solved", "resolution_notes": "New fuser"},
            "resolved",
            "INC0000001 is resolved.",
        ),
        (
            "resolved",
            "reopen",
            {"reason": "Jammed again"},
            "in_progress",
            "INC0000001 is reopened.",
        ),
        ("resolved", "close", {}, "closed", "INC0000001 is closed."),
        ("new", "cancel", {"reason": "Logged twice"}, "cancelled", "INC0000001 is cancelled."),
        ("on_hold", "cancel", {"reason": "Not needed"}, "cancelled", "INC0000001 is cancelled."),
    ],
)
def test_each_transition_through_the_ui(agent, incident, state, name, data, target, message):
    incident = incident_in(state, incident=incident, agent=agent)

    response = signed_in(agent).post(
        reverse("incidents:transition", args=[incident.pk, name]),
        {**data, "version": incident.version},
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(incident)
    assert messages_of(response) == [message]
    refreshed = Incident.objects.get(pk=incident.pk)
    assert refreshed.status == target
    event = AuditEvent.objects.filter(ticket_id=incident.pk).last()
    assert (event.action, event.transition, event.actor, event.to_status) == (
        AuditAction.TRANSITION,
        name,
        agent,
        target,
    )


def test_the_hold_reason_and_resolution_are_recorded(agent, incident):
    incident = incident_in("in_progress", incident=incident, agent=agent)
    client = signed_in(agent)

    client.post(
        reverse("incidents:transition", args=[incident.pk, "hold"]),
        {"reason": "awaiting_vendor", "note": "Case 42", "version": incident.version},
    )
    held = Incident.objects.get(pk=incident.pk)
    client.post(
        reverse("incidents:transition", args=[incident.pk, "resolve"]),
        {"resolution_code": "workaround", "resolution_notes": "Tray 2", "version": held.version},
    )

    resolved = Incident.objects.get(pk=incident.pk)
    assert (held.on_hold_reason, resolved.resolution_code, resolved.resolution_notes) == (
        "awaiting_vendor",
        "workaround",
        "Tray 2",
    )
    assert AuditEvent.objects.filter(transition="hold").get().note == "Case 42"
    page = client.get(detail_url(incident)).content.decode()
    assert "<strong>Solved by workaround</strong>" in page


def test_a_transition_with_a_missing_field_is_a_form_error_and_changes_nothing(agent, incident):
    incident = incident_in("in_progress", incident=incident, agent=agent)

    response = signed_in(agent).post(
        reverse("incidents:transition", args=[incident.pk, "resolve"]),
        {"resolution_code": "solved", "resolution_notes": "", "version": incident.version},
    )

    assert response.status_code == 400
    (resolve,) = [t for t in response.context["transitions"] if t["name"] == "resolve"]
    assert resolve["open"] is True
    assert resolve["form"].errors == {"resolution_notes": ["This field is required."]}
    content = response.content.decode()
    assert '<details class="menu" id="transition-resolve" open>' in content
    assert (
        '<p class="field__error" id="resolve_resolution_notes_error">This field is required.</p>'
        in content
    )
    assert Incident.objects.get(pk=incident.pk).status == "in_progress"


def test_a_transition_not_allowed_now_is_refused_with_a_message(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:transition", args=[incident.pk, "resume"]),
        {"version": incident.version},
    )

    assert response.status_code == 409
    assert "“resume” is not allowed while the ticket is new." in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_an_unknown_transition_is_404(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:transition", args=[incident.pk, "explode"]),
        {"version": incident.version},
    )

    assert response.status_code == 404


def test_the_sla_panel_counts_down_in_the_users_time_zone(agent, incident):
    agent.time_zone = "America/New_York"
    agent.save(update_fields=["time_zone"])
    due = datetime(2099, 1, 15, 17, 0, tzinfo=UTC)
    Ticket.objects.filter(pk=incident.pk).update(resolution_due_at=due, sla_state="at_risk")

    response = signed_in(agent).get(reverse("incidents:sla", args=[incident.pk]))

    content = response.content.decode()
    assert '<span class="badge badge--sla-at_risk">At risk</span>' in content
    assert re.search(
        r'<time class="countdown" datetime="2099-01-15T12:00:00-05:00" '
        r'title="2099-01-15 12:00 EST">in \d+ days( \d+ h)?</time>',
        content,
    )


def test_an_overdue_target_says_so(agent, incident):
    Ticket.objects.filter(pk=incident.pk).update(
        resolution_due_at=datetime(2020, 1, 1, tzinfo=UTC), sla_state="breached"
    )

    content = signed_in(agent).get(detail_url(incident)).content.decode()

    assert re.search(
        r'<time class="countdown countdown--overdue" [^>]+>\d+ days( \d+ h)? overdue</time>',
        content,
    )


# --- stale versions -------------------------------------------------------------------------------


def test_a_stale_reply_changes_nothing_keeps_the_text_and_shows_what_changed(agent, lead, incident):
    client = signed_in(agent)
    page = client.get(detail_url(incident))
    seen = page.context["latest_event"]
    services.incident_start(incident=incident, by=lead)

    response = client.post(
        reverse("incidents:comment", args=[incident.pk]),
        {
            "body": "My careful answer",
            "visibility": "public",
            "version": incident.version,
            "seen": seen,
        },
    )

    assert response.status_code == 409
    assert Comment.objects.count() == 0
    assert [entry.summary for entry in response.context["stale"]] == [
        f"{lead.display_name} assigned it",
        f"{lead.display_name} started work",
    ]
    content = response.content.decode()
    assert '<h2 id="stale-title">This ticket changed since you opened it</h2>' in content
    assert ">\nMy careful answer</textarea>" in content
    current = Incident.objects.get(pk=incident.pk)
    assert response.context["reply_form"]["version"].value() == str(current.version)
    assert f'<input type="hidden" name="version" value="{current.version}">' in content


def test_a_stale_resolve_keeps_the_notes_and_resolves_nothing(agent, lead, incident):
    incident = incident_in("in_progress", incident=incident, agent=agent)
    version = incident.version
    services.incident_hold(incident=incident, by=lead, reason="awaiting_caller")

    # No "seen" marker: the changes since the form's version are shown.
    response = signed_in(agent).post(
        reverse("incidents:transition", args=[incident.pk, "resolve"]),
        {"resolution_code": "solved", "resolution_notes": "Swapped the fuser", "version": version},
    )

    assert response.status_code == 409
    assert [entry.summary for entry in response.context["stale"]] == [
        f"{lead.display_name} put it on hold"
    ]
    assert Incident.objects.get(pk=incident.pk).status == "on_hold"
    content = response.content.decode()
    assert '<details class="menu" id="transition-resolve" open>' in content
    assert ">\nSwapped the fuser</textarea>" in content


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("assign", {"assignment_group": "TEAM", "assignee": ""}),
        ("major", {"is_major": "1", "reason": "Everyone is down"}),
        ("link_add", {"kind": "relates_to", "number": "OTHER"}),
        ("transition", {}),
    ],
)
def test_every_form_refuses_a_stale_version(agent, lead, team, incident, route, data):
    other = make_incident(title="Other", assignment_group=team)
    data = {k: {"TEAM": str(team.pk), "OTHER": other.number}.get(v, v) for k, v in data.items()}
    stale_version = incident.version
    services.incident_update(incident=incident, by=lead, data={"title": "Renamed"})
    args = [incident.pk, "start"] if route == "transition" else [incident.pk]
    before = history(incident)

    response = signed_in(agent).post(
        reverse(f"incidents:{route}", args=args), {**data, "version": stale_version}
    )

    assert response.status_code == 409
    assert history(incident) == before
    assert TicketLink.objects.count() == 0
    assert [(c.label, c.old, c.new) for c in response.context["stale"][0].changes] == [
        ("Title", "Printer on floor 3 is jammed", "Renamed")
    ]


# --- replies and files ----------------------------------------------------------------------------


def test_an_agent_replies_with_files(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:comment", args=[incident.pk]),
        {
            "body": "See the log attached.",
            "visibility": "public",
            "version": incident.version,
            "files": [
                SimpleUploadedFile("log.txt", b"E-42 at 09:00", content_type="text/plain"),
                SimpleUploadedFile("data.csv", b"a,b\n1,2\n", content_type="text/csv"),
            ],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(incident) + "#timeline"
    assert messages_of(response) == ["Your reply was sent."]
    comment = Comment.objects.get()
    assert (comment.body, comment.internal, comment.author) == (
        "See the log attached.",
        False,
        agent,
    )
    assert list(comment.attachments.values_list("filename", "internal")) == [
        ("log.txt", False),
        ("data.csv", False),
    ]


def test_an_internal_note_and_its_files_are_internal(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:comment", args=[incident.pk]),
        {
            "body": "Vendor says firmware bug.",
            "visibility": "internal",
            "version": incident.version,
            "files": [SimpleUploadedFile("case.txt", b"case 42", content_type="text/plain")],
        },
    )

    assert messages_of(response) == ["Your internal note was added."]
    assert Comment.objects.get().internal is True
    assert Attachment.objects.get().internal is True


def test_a_refused_file_saves_neither_the_reply_nor_any_file_and_keeps_the_text(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:comment", args=[incident.pk]),
        {
            "body": "Here is the tool",
            "visibility": "public",
            "version": incident.version,
            "files": [
                SimpleUploadedFile("ok.txt", b"fine", content_type="text/plain"),
                SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "text/plain"),
            ],
        },
    )

    assert response.status_code == 400
    assert Comment.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert response.context["reply_form"].errors == {
        "files": ["tool.exe: Files of type application/x-msdownload are not accepted."]
    }
    assert ">\nHere is the tool</textarea>" in response.content.decode()


def test_an_empty_reply_is_a_form_error(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:comment", args=[incident.pk]),
        {"body": "   ", "visibility": "public", "version": incident.version},
    )

    assert response.status_code == 400
    assert response.context["reply_form"].errors == {"body": ["This field is required."]}


def test_attachments_download_with_safe_headers(agent, incident):
    attachment = core_services.attachment_add(
        ticket=incident,
        by=agent,
        upload=SimpleUploadedFile("../../etc/trace <1>.txt", b"relay denied", "text/plain"),
    )
    accented = core_services.attachment_add(
        ticket=incident,
        by=agent,
        upload=SimpleUploadedFile('café "x".txt', b"x", "text/plain"),
    )

    response = signed_in(agent).get(
        reverse("incidents:attachment", args=[incident.pk, attachment.pk])
    )

    assert response.status_code == 200
    assert attachment.filename == "trace <1>.txt"
    assert response["Content-Disposition"] == 'attachment; filename="trace <1>.txt"'
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"relay denied"
    other = signed_in(agent).get(reverse("incidents:attachment", args=[incident.pk, accented.pk]))
    assert other["Content-Disposition"] == "attachment; filename*=utf-8''caf%C3%A9%20%22x%22.txt"
    assert b"".join(other.streaming_content) == b"x"


@pytest.mark.parametrize(
    ("who", "internal", "status"),
    [
        ("agent", False, 200),
        ("agent", True, 200),
        ("end_user", False, 200),  # the requester downloads public files
        ("end_user", True, 404),
        ("other_end_user", False, 404),
        ("other_agent", False, 404),
    ],
)
def test_attachment_downloads_check_access(request, agent, incident, who, internal, status):
    attachment = core_services.attachment_add(
        ticket=incident,
        by=agent,
        internal=internal,
        upload=SimpleUploadedFile("notes.txt", b"secret", "text/plain"),
    )

    response = signed_in(request.getfixturevalue(who)).get(
        reverse("incidents:attachment", args=[incident.pk, attachment.pk])
    )

    assert response.status_code == status
    body = b"".join(response.streaming_content) if response.streaming else b""
    assert body == (b"secret" if status == 200 else b"")


def test_an_attachment_of_another_ticket_is_404_under_this_one(agent, team, incident):
    other = make_incident(assignment_group=team)
    attachment = core_services.attachment_add(
        ticket=other, by=agent, upload=SimpleUploadedFile("a.txt", b"x", "text/plain")
    )

    response = signed_in(agent).get(
        reverse("incidents:attachment", args=[incident.pk, attachment.pk])
    )

    assert response.status_code == 404


def test_anonymous_visitors_sign_in_before_downloading(client, agent, incident):
    attachment = core_services.attachment_add(
        ticket=incident, by=agent, upload=SimpleUploadedFile("a.txt", b"x", "text/plain")
    )
    url = reverse("incidents:attachment", args=[incident.pk, attachment.pk])

    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"


# --- assignment, links, major incidents -----------------------------------------------------------


def test_the_agent_select_follows_the_team(agent, lead, team):
    agent.first_name, lead.first_name = "Alice", "Lena"
    agent.save(update_fields=["first_name"])
    lead.save(update_fields=["first_name"])
    response = signed_in(agent).get(
        reverse("incidents:agent_options"), {"assignment_group": team.pk}
    )

    content = response.content.decode()
    options = re.findall(r'<option value="(\d*)">([^<]+)</option>', content)
    assert options == [
        ("", "Anyone in the team"),
        (str(agent.pk), agent.display_name),
        (str(lead.pk), lead.display_name),
    ]
    assert (
        '<span id="agent-options-status" hx-swap-oob="innerHTML">2 agents in this team.' in content
    )


def test_the_assignment_forms_team_select_refreshes_the_agents_with_htmx(agent, incident):
    content = signed_in(agent).get(detail_url(incident)).content.decode()

    assert (
        '<select name="assignment_group" hx-get="/incidents/agent-options/" hx-trigger="change" '
        'hx-target="#assign_assignee" hx-swap="innerHTML" required id="assign_assignment_group">'
    ) in content


def test_assigning_to_an_agent_of_the_team(agent, lead, team, incident):
    response = signed_in(agent).post(
        reverse("incidents:assign", args=[incident.pk]),
        {"assignment_group": team.pk, "assignee": lead.pk, "version": incident.version},
    )

    assert response["Location"] == detail_url(incident)
    assert messages_of(response) == [
        f"{incident.number} is assigned to {lead.display_name} ({team.name})."
    ]
    assert Incident.objects.get(pk=incident.pk).assignee == lead


def test_an_agent_of_another_team_cannot_be_assigned(agent, other_agent, team, incident):
    response = signed_in(agent).post(
        reverse("incidents:assign", args=[incident.pk]),
        {"assignment_group": team.pk, "assignee": other_agent.pk, "version": incident.version},
    )

    assert response.status_code == 400
    assert response.context["assign_form"].errors == {
        "assignee": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert Incident.objects.get(pk=incident.pk).assignee is None


def test_handing_over_to_another_team_leads_back_to_the_list(agent, other_agent, incident):
    network = other_agent.teams.get()

    response = signed_in(agent).post(
        reverse("incidents:assign", args=[incident.pk]),
        {"assignment_group": network.pk, "version": incident.version},
    )

    assert response["Location"] == reverse("incidents:list")
    assert messages_of(response) == [f"{incident.number} is assigned to {network.name}."]


def test_links_are_added_by_number_and_removed(agent, team, incident):
    other = make_incident(title="Toner empty", assignment_group=team)
    client = signed_in(agent)

    added = client.post(
        reverse("incidents:link_add", args=[incident.pk]),
        {"kind": "duplicates", "number": other.number.lower(), "version": incident.version},
    )

    assert added["Location"] == detail_url(incident) + "#links"
    assert messages_of(added) == [f"{incident.number} is linked to {other.number}."]
    link = TicketLink.objects.get()
    assert (link.source_id, link.kind, link.target_id) == (incident.pk, "duplicates", other.pk)
    page = client.get(detail_url(other)).content.decode()
    assert "duplicates (from)" in page
    assert f'<a href="/incidents/{incident.pk}/">{incident.number}</a>' in page

    removed = client.post(
        reverse("incidents:link_remove", args=[incident.pk, link.pk]),
        {"version": incident.version},
    )

    assert messages_of(removed) == ["The link was removed."]
    assert TicketLink.objects.count() == 0


@pytest.mark.parametrize("number", ["INC9999999", "OTHER_TEAM"])
def test_a_link_needs_a_ticket_the_agent_can_see(agent, other_team, incident, number):
    hidden = make_incident(assignment_group=other_team)
    number = hidden.number if number == "OTHER_TEAM" else number

    response = signed_in(agent).post(
        reverse("incidents:link_add", args=[incident.pk]),
        {"kind": "relates_to", "number": number, "version": incident.version},
    )

    assert response.status_code == 400
    assert response.context["link_form"].errors == {
        "number": [f"No ticket numbered {number} that you can see."]
    }


def test_a_link_of_another_ticket_cannot_be_removed_through_this_one(agent, team, incident):
    first, second = make_incident(assignment_group=team), make_incident(assignment_group=team)
    link = core_services.link_add(source=first, target=second, kind="relates_to", by=agent)

    response = signed_in(agent).post(
        reverse("incidents:link_remove", args=[incident.pk, link.pk]),
        {"version": incident.version},
    )

    assert response.status_code == 404
    assert TicketLink.objects.count() == 1


def test_declaring_and_standing_down_a_major_incident(
    agent, incident, django_capture_on_commit_callbacks
):
    client = signed_in(agent)

    with django_capture_on_commit_callbacks(execute=False):
        declared = client.post(
            reverse("incidents:major", args=[incident.pk]),
            {"is_major": "1", "reason": "Whole floor cannot print", "version": incident.version},
        )

    assert messages_of(declared) == [f"{incident.number} is now a major incident."]
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.is_major, incident.major_declared_by) == (True, agent)
    page = client.get(detail_url(incident)).content.decode()
    assert '<div class="major-callout" role="note">' in page
    assert "Stand down</button>" in page

    stood_down = client.post(
        reverse("incidents:major", args=[incident.pk]),
        {"is_major": "0", "reason": "", "version": incident.version},
    )

    assert messages_of(stood_down) == [f"{incident.number} is no longer a major incident."]
    assert Incident.objects.get(pk=incident.pk).is_major is False


def test_declaring_a_major_incident_needs_a_reason(agent, incident):
    response = signed_in(agent).post(
        reverse("incidents:major", args=[incident.pk]),
        {"is_major": "1", "reason": " ", "version": incident.version},
    )

    assert response.status_code == 400
    assert response.context["major_form"].errors == {
        "reason": ["Say why this is a major incident."]
    }
    assert Incident.objects.get(pk=incident.pk).is_major is False


# --- the major-incident banner --------------------------------------------------------------------


def test_the_banner_lists_open_major_incidents_the_agent_can_see(
    agent, lead, team, other_team, other_agent
):
    major = make_incident(title="Mail is down", assignment_group=team)
    major = services.incident_set_major(incident=major, by=agent, is_major=True, reason="All")
    hidden = make_incident(title="Core switch down", assignment_group=other_team)
    services.incident_set_major(incident=hidden, by=other_agent, is_major=True, reason="All")
    client = signed_in(agent)

    content = client.get(reverse("dashboard")).content.decode()

    assert '<section class="major-banner" aria-labelledby="major-banner-title">' in content
    assert "Major incident in progress</h2>" in content
    assert (
        f'<li><a href="/incidents/{major.pk}/"><span class="mono">{major.number}</span> '
        "Mail is down</a></li>"
    ) in content
    assert "Core switch down" not in content

    major = incident_in("in_progress", incident=major, agent=agent)
    services.incident_resolve(
        incident=major, by=agent, resolution_code="solved", resolution_notes="Restarted"
    )

    assert "major-banner" not in client.get(reverse("dashboard")).content.decode()


def test_the_banner_shows_five_and_links_to_the_rest(agent, team):
    for n in range(6):
        incident = make_incident(title=f"Outage {n}", assignment_group=team)
        services.incident_set_major(incident=incident, by=agent, is_major=True, reason="x")

    content = signed_in(agent).get(reverse("incidents:list")).content.decode()

    banner = re.search(r'<section class="major-banner".*?</section>', content, re.S).group(0)
    assert "Major incidents in progress</h2>" in banner
    assert re.findall(r"</span> (Outage \d)</a></li>", banner) == [
        "Outage 5",
        "Outage 4",
        "Outage 3",
        "Outage 2",
        "Outage 1",
    ]
    assert (
        '<a class="major-banner__more" href="/incidents/?is_major=true&amp;status=new&amp;'
        'status=in_progress&amp;status=on_hold">See all</a>'
    ) in banner


def test_end_users_never_see_the_banner(client, end_user, agent, team):
    major = make_incident(title="Mail is down", requester=end_user, assignment_group=team)
    services.incident_set_major(incident=major, by=agent, is_major=True, reason="All")

    content = signed_in(end_user).get(reverse("portal:home")).content.decode()

    assert "major-banner" not in content


# --- the new incident form ------------------------------------------------------------------------


def test_the_new_form_defaults_the_requester_to_the_agent(agent):
    response = signed_in(agent).get(reverse("incidents:create"))

    assert response.status_code == 200
    assert response.context["form"]["requester"].value() == agent.pk
    content = response.content.decode()
    assert '<span class="badge badge--p3">P3 moderate</span>' in content
    assert 'hx-get="/incidents/priority-preview/"' in content
    assert '<output id="priority-preview" for="id_impact id_urgency" aria-live="polite">' in content


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        ("1", "1", '<span class="badge badge--p1">P1 critical</span>'),
        ("2", "3", '<span class="badge badge--p4">P4 low</span>'),
        ("3", "3", '<span class="badge badge--p5">P5 planning</span>'),
        ("9", "1", '<span class="muted">Choose impact and urgency</span>'),
        ("", "x", '<span class="muted">Choose impact and urgency</span>'),
    ],
)
def test_the_priority_preview(agent, impact, urgency, expected):
    response = signed_in(agent).get(
        reverse("incidents:priority_preview"), {"impact": impact, "urgency": urgency}
    )

    assert response.status_code == 200
    assert response.content.decode().strip() == expected


def test_logging_an_incident_for_someone_else(agent, lead, team, end_user):
    service = ServiceFactory(name="Printing")
    response = signed_in(agent).post(
        reverse("incidents:create"),
        {
            "title": "Printer jams",
            "description": "Tray 2",
            "impact": "1",
            "urgency": "2",
            "service": service.pk,
            "requester": end_user.pk,
            "assignment_group": team.pk,
            "assignee": lead.pk,
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(incident)
    assert messages_of(response) == [f"{incident.number} was logged."]
    assert (
        incident.title,
        incident.requester,
        incident.created_by,
        incident.priority,
        incident.service,
        incident.assignment_group,
        incident.assignee,
    ) == ("Printer jams", end_user, agent, 2, service, team, lead)


def test_the_new_form_shows_its_errors(agent):
    response = signed_in(agent).post(
        reverse("incidents:create"), {"title": "", "impact": "7", "urgency": "1"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "title": ["This field is required."],
        "impact": ["Select a valid choice. 7 is not one of the available choices."],
        "requester": ["This field is required."],
    }
    assert "The incident was not logged." in response.content.decode()
    assert Incident.objects.count() == 0


def test_an_incident_routed_out_of_sight_leads_back_to_the_list(agent, other_agent, end_user):
    network = other_agent.teams.get()

    response = signed_in(agent).post(
        reverse("incidents:create"),
        {
            "title": "Switch down",
            "impact": "2",
            "urgency": "2",
            "requester": end_user.pk,
            "assignment_group": network.pk,
        },
    )

    assert response["Location"] == reverse("incidents:list")
    assert messages_of(response) == [
        "INC0000001 was logged.",
        f"It went to {network.name}, whose incidents you do not see.",
    ]


# --- query counts of the incident page ------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 20])
def test_the_incident_page_costs_a_fixed_number_of_queries(
    agent, lead, team, incident, django_assert_num_queries, size
):
    other = make_incident(title="Other", assignment_group=team)
    for n in range(size):
        core_services.comment_add(ticket=incident, by=agent, body=f"Reply {n}")
        core_services.comment_add(ticket=incident, by=lead, body=f"Note {n}", internal=True)
        core_services.attachment_add(
            ticket=incident,
            by=agent,
            upload=SimpleUploadedFile(f"f{n}.txt", b"data", "text/plain"),
        )
        incident = services.incident_assign(
            incident=incident, by=agent, group=team, assignee=lead if n % 2 else None
        )
        core_services.ticket_update(ticket=incident, by=agent, data={"impact": 1 + n % 3})
        incident = Incident.objects.get(pk=incident.pk)
    core_services.link_add(source=incident, target=other, kind="relates_to", by=agent)
    TeamFactory(name="Unused team")
    make_agent(TeamFactory(name="Another"), username="zed")
    make_end_user(username="nobody")
    client = signed_in(agent)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(incident))

    assert response.status_code == 200
    shown_events = AuditEvent.objects.filter(ticket_id=incident.pk).exclude(
        action__in=[AuditAction.COMMENTED, AuditAction.ATTACHMENT_ADDED]
    )
    assert len(response.context["entries"]) == 3 * size + shown_events.count()
