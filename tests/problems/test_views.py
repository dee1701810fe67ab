"""The problem agent UI: list, problem page and its forms, known errors, new problem, and what
the incident pages show of problems."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from changes.models import Change
from incidents.models import Incident
from problems import services
from problems.models import Problem
from servicedesk.core import services as core_services
from servicedesk.core.choices import LinkKind
from servicedesk.core.models import AuditEvent, Comment, TicketLink
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    make_agent,
    make_end_user,
    make_incident,
)

# session, user, permissions (2), the banner, the paginator's count, the page of rows
# (teams, assignees, services and incident counts joined in), the filter's teams and
# services: whatever the number of problems.
LIST_QUERIES = 9
# session, user, permissions (2), the problem, its CIs and affected services, the user's
# teams (transitions), comments, attachments, history, the tickets the history names, the
# linked incidents, the links, the teams of the assignment form, the banner, the agents of
# the problem's team, and the services of the edit form's two selects: whatever the number
# of incidents and notes.
DETAIL_QUERIES = 19


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def detail_url(problem) -> str:
    return reverse("problems:detail", args=[problem.pk])


@pytest.fixture
def problem(agent, team):
    return services.problem_create(by=agent, title="Printers jam weekly", assignment_group=team)


@pytest.fixture
def incidents(team):
    return [make_incident(title=f"Printer jam {n}", assignment_group=team) for n in range(3)]


def post(client, problem, name, data=None, **url_args):
    url = reverse(f"problems:{name}", args=[problem.pk, *url_args.values()])
    return client.post(url, {"version": Problem.objects.get(pk=problem.pk).version, **(data or {})})


# --- who may see the pages ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["problems:list", "problems:create", "problems:known-errors"])
def test_the_pages_without_a_problem_are_for_agents(name, client, end_user):
    assert client.get(reverse(name)).status_code == 302  # to the sign-in page
    assert signed_in(end_user).get(reverse(name)).status_code == 403


def test_another_teams_agent_and_end_users_get_404_on_the_page_and_every_form(
    problem, other_agent, end_user
):
    for user in (other_agent, end_user):
        client = signed_in(user)
        assert client.get(detail_url(problem)).status_code in (403, 404)
        for name in ("edit", "assign", "note", "link-incidents", "raise-change"):
            response = post(client, problem, name, {"title": "x", "body": "x"})
            assert response.status_code in (403, 404), name
        response = post(client, problem, "transition", {}, transition="investigate")
        assert response.status_code in (403, 404)
    assert Problem.objects.get(pk=problem.pk).status == "new"
    assert AuditEvent.objects.filter(ticket_id=problem.pk).count() == 1  # created only


# --- the list ----------------------------------------------------------------------------


def test_the_list_shows_problems_with_their_incident_counts_and_filters(
    agent, team, problem, incidents
):
    services.problem_link_incidents(problem=problem, by=agent, incidents=incidents[:2])
    known = services.problem_create(by=agent, title="VPN drops", assignment_group=team)
    known = services.problem_investigate(problem=known, by=agent)
    services.problem_mark_known_error(
        problem=known, by=agent, root_cause="MTU", workaround="Lower the MTU"
    )
    hidden = services.problem_create(
        by=make_agent(TeamFactory(name="Far")), title="Elsewhere", assignment_group=None
    )
    Problem.objects.filter(pk=hidden.pk).update(assignment_group=TeamFactory(name="Other"))
    client = signed_in(agent)

    response = client.get(reverse("problems:list"))
    rows = {p.number: p.incident_count for p in response.context["page"].object_list}
    assert rows == {problem.number: 2, known.number: 0}
    assert 'class="button button--small button--secondary export-link"' in response.text

    response = client.get(reverse("problems:list"), {"is_known_error": "true"})
    assert [p.number for p in response.context["page"].object_list] == [known.number]
    response = client.get(reverse("problems:list"), {"status": "new"})
    assert [p.number for p in response.context["page"].object_list] == [problem.number]
    response = client.get(reverse("problems:list"), {"ordering": "-incident_count"})
    assert [p.number for p in response.context["page"].object_list] == [
        problem.number,
        known.number,
    ]


def test_bad_filters_give_an_error_not_a_500(agent, problem):
    response = signed_in(agent).get(
        reverse("problems:list"),
        {"assignment_group": "99999999999999999999999999", "ordering": "nonsense"},
    )
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_costs_a_fixed_number_of_queries(agent, team, size, django_assert_num_queries):
    for n in range(size):
        p = services.problem_create(
            by=agent, title=f"P{n}", assignment_group=team, service=ServiceFactory()
        )
        services.problem_link_incidents(
            problem=p, by=agent, incidents=[make_incident(assignment_group=team)]
        )
    client = signed_in(agent)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("problems:list"))
    assert len(response.context["page"].object_list) == min(size, 25)


# --- a new problem -----------------------------------------------------------------------


def test_the_new_problem_form_is_filled_in_from_the_selected_incidents(agent, team, incidents):
    ci = ConfigurationItemFactory(name="prn-01")
    incidents[1].configuration_items.add(ci)
    hidden = make_incident(title="Secret", assignment_group=TeamFactory(name="HR"))
    ids = "&".join(f"incidents={i.pk}" for i in [*incidents, hidden])
    response = signed_in(agent).get(reverse("problems:create") + "?" + ids + "&incidents=1e9")

    form = response.context["form"]
    assert form.initial["title"] == "Printer jam 0"
    assert form.initial["configuration_items"] == [ci.pk]
    assert form.initial["incidents"] == ", ".join(i.number for i in incidents)  # not the hidden


def test_opening_a_problem_links_the_named_incidents(agent, team, incidents):
    response = signed_in(agent).post(
        reverse("problems:create"),
        {
            "title": "Printers jam",
            "impact": 2,
            "urgency": 2,
            "assignment_group": team.pk,
            "incidents": f"{incidents[0].number}, {incidents[1].number.lower()}",
        },
    )
    problem = Problem.objects.get(title="Printers jam")
    assert response.status_code == 302
    assert response.url == detail_url(problem)
    assert set(problem.incidents.values_list("pk", flat=True)) == {
        incidents[0].pk,
        incidents[1].pk,
    }


def test_unknown_or_hidden_incidents_are_a_form_error_and_nothing_is_created(agent, team):
    hidden = make_incident(assignment_group=TeamFactory(name="HR"))
    response = signed_in(agent).post(
        reverse("problems:create"),
        {"title": "P", "impact": 2, "urgency": 2, "incidents": f"INC9999999 {hidden.number}"},
    )
    assert response.status_code == 400
    assert "No such incident: INC9999999, " + hidden.number in response.text
    assert not Problem.objects.exists()


def test_a_30_digit_team_is_a_form_error(agent):
    response = signed_in(agent).post(
        reverse("problems:create"),
        {"title": "P", "impact": 2, "urgency": 2, "assignment_group": "9" * 30},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["assignment_group"]


def test_the_incident_list_bulk_action_opens_the_new_problem_form(agent, incidents):
    response = signed_in(agent).post(
        reverse("incidents:bulk"),
        {"action": "problem", "ids": [incidents[0].pk, incidents[2].pk]},
    )
    assert response.status_code == 302
    assert response.url == (
        reverse("problems:create") + f"?incidents={incidents[0].pk}&incidents={incidents[2].pk}"
    )


# --- the problem page --------------------------------------------------------------------


def test_the_page_shows_cause_workaround_and_linked_incidents(agent, problem, incidents):
    services.problem_link_incidents(problem=problem, by=agent, incidents=incidents)
    problem = services.problem_investigate(problem=problem, by=agent)
    services.problem_mark_known_error(
        problem=problem,
        by=agent,
        root_cause="Worn **rollers**",
        workaround="Use tray 2 <script>alert(1)</script>",
    )
    incidents[0].resolved_at = incidents[0].created_at
    Incident.objects.filter(pk=incidents[0].pk).update(resolved_at=incidents[0].created_at)

    response = signed_in(agent).get(detail_url(problem))

    assert response.status_code == 200
    assert "<strong>rollers</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "3 linked incidents" in response.text
    assert response.context["open_incidents"] == 2
    assert [i.pk for i in response.context["incidents"]][-1] == incidents[0].pk  # open first
    assert [t["name"] for t in response.context["transitions"]] == ["resolve", "cancel"]
    summaries = [e.summary for e in response.context["entries"] if e.kind == "event"]
    assert any("recorded it as a known error" in s for s in summaries)


@pytest.mark.parametrize("size", [2, 20])
def test_the_page_costs_a_fixed_number_of_queries(
    agent, lead, team, problem, size, django_assert_num_queries
):
    services.problem_link_incidents(
        problem=problem,
        by=agent,
        incidents=[make_incident(assignment_group=team) for _ in range(size)],
    )
    problem.configuration_items.add(ConfigurationItemFactory())
    problem.affected_services.add(ServiceFactory())
    for n in range(size):
        core_services.comment_add(ticket=problem, by=lead, body=f"Note {n}", internal=True)
        core_services.attachment_add(
            ticket=problem, by=agent, upload=SimpleUploadedFile(f"{n}.txt", b"x", "text/plain")
        )
        core_services.ticket_update(ticket=problem, by=agent, data={"impact": 1 + n % 3})
    core_services.link_add(
        source=problem, target=make_incident(), kind=LinkKind.RELATES_TO, by=agent
    )
    client = signed_in(agent)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(problem))

    assert response.status_code == 200
    assert len(response.context["incidents"]) == size


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("investigate", {}, "under_investigation"),
        ("cancel", {"reason": "Duplicate of another"}, "cancelled"),
    ],
)
def test_transitions_from_new(agent, problem, name, data, status):
    response = post(signed_in(agent), problem, "transition", data, transition=name)
    assert response.status_code == 302
    assert Problem.objects.get(pk=problem.pk).status == status


def test_recording_a_known_error_needs_cause_and_workaround(agent, problem):
    problem = services.problem_investigate(problem=problem, by=agent)
    client = signed_in(agent)

    response = post(
        client, problem, "transition", {"root_cause": "Rollers"}, transition="mark_known_error"
    )
    assert response.status_code == 400
    assert response.context["failed"] == "transition:mark_known_error"
    assert Problem.objects.get(pk=problem.pk).status == "under_investigation"

    response = post(
        client,
        problem,
        "transition",
        {"root_cause": "Rollers", "workaround": "Tray 2", "publication": "public"},
        transition="mark_known_error",
    )
    problem = Problem.objects.get(pk=problem.pk)
    assert response.status_code == 302
    assert (problem.status, problem.workaround, problem.publication) == (
        "known_error",
        "Tray 2",
        "public",
    )
    assert "is a known error now" in messages_of(response)[0]


def test_resolving_can_resolve_every_open_linked_incident(agent, problem, incidents):
    services.problem_link_incidents(problem=problem, by=agent, incidents=incidents)
    problem = services.problem_investigate(problem=problem, by=agent)

    response = post(
        signed_in(agent),
        problem,
        "transition",
        {"resolution_notes": "Rollers replaced", "resolve_incidents": "on"},
        transition="resolve",
    )

    assert response.status_code == 302
    assert Problem.objects.get(pk=problem.pk).status == "resolved"
    assert set(
        Incident.objects.filter(pk__in=[i.pk for i in incidents]).values_list("status", flat=True)
    ) == {"resolved"}
    response = post(signed_in(agent), problem, "transition", {}, transition="close")
    assert Problem.objects.get(pk=problem.pk).status == "closed"


def test_a_stale_form_changes_nothing_and_shows_what_changed(agent, lead, problem):
    client = signed_in(agent)
    seen_version = problem.version
    core_services.ticket_update(ticket=problem, by=lead, data={"title": "Renamed by Lena"})

    response = client.post(
        reverse("problems:edit", args=[problem.pk]),
        {
            "version": seen_version,
            "title": "Mine",
            "impact": 2,
            "urgency": 2,
            "publication": "internal",
        },
    )

    assert response.status_code == 409
    assert "This problem changed since you opened it" in response.text
    assert any("changed it" in e.summary for e in response.context["stale"])
    assert response.context["edit_form"]["title"].value() == "Mine"  # the input is kept
    assert Problem.objects.get(pk=problem.pk).title == "Renamed by Lena"


def test_editing_saves_cause_and_workaround_and_a_known_error_keeps_them(agent, problem):
    client = signed_in(agent)
    fields = {"title": "Jams", "impact": 1, "urgency": 2, "publication": "internal"}
    response = post(client, problem, "edit", {**fields, "root_cause": "Dust", "workaround": "Blow"})
    problem = Problem.objects.get(pk=problem.pk)
    assert response.status_code == 302
    assert (problem.title, problem.root_cause, problem.workaround, problem.impact) == (
        "Jams",
        "Dust",
        "Blow",
        1,
    )

    problem = services.problem_investigate(problem=problem, by=agent)
    services.problem_mark_known_error(
        problem=problem, by=agent, root_cause="Dust", workaround="Blow"
    )
    response = post(client, problem, "edit", {**fields, "root_cause": "Dust", "workaround": ""})
    assert response.status_code == 400
    assert response.context["edit_form"].errors["workaround"]
    assert Problem.objects.get(pk=problem.pk).workaround == "Blow"


def test_notes_are_internal_unless_chosen_otherwise(agent, problem):
    client = signed_in(agent)
    post(client, problem, "note", {"body": "Checked the logs", "visibility": "internal"})
    post(client, problem, "note", {"body": "Vendor contacted", "visibility": "public"})
    assert list(Comment.objects.filter(ticket_id=problem.pk).values_list("body", "internal")) == [
        ("Checked the logs", True),
        ("Vendor contacted", False),
    ]
    assert response_initial_visibility(client, problem) == "internal"


def response_initial_visibility(client, problem) -> str:
    return client.get(detail_url(problem)).context["note_form"]["visibility"].value()


def test_a_note_with_a_refused_file_stores_nothing(agent, problem):
    response = signed_in(agent).post(
        reverse("problems:note", args=[problem.pk]),
        {
            "version": problem.version,
            "body": "See the dump",
            "visibility": "internal",
            "files": [
                SimpleUploadedFile("ok.txt", b"fine", "text/plain"),
                SimpleUploadedFile(
                    "evil.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/x-msdownload"
                ),
            ],
        },
    )
    assert response.status_code == 400
    assert "evil.exe" in response.text
    assert not Comment.objects.filter(ticket_id=problem.pk).exists()


def test_files_of_a_problem_download_for_agents_who_see_it(agent, other_agent, problem):
    attachment = core_services.attachment_add(
        ticket=problem, by=agent, upload=SimpleUploadedFile("log.txt", b"trace", "text/plain")
    )
    url = reverse("problems:attachment", args=[problem.pk, attachment.pk])
    response = signed_in(agent).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"trace"
    assert signed_in(other_agent).get(url).status_code == 404
    page = signed_in(agent).get(detail_url(problem)).text
    assert url in page


def test_linking_and_unlinking_incidents_by_number(agent, problem, incidents):
    client = signed_in(agent)
    numbers = f"{incidents[0].number}, {incidents[1].number}"
    response = post(client, problem, "link-incidents", {"numbers": numbers})
    assert response.status_code == 302
    assert set(problem.incidents.values_list("pk", flat=True)) == {incidents[0].pk, incidents[1].pk}

    response = post(client, problem, "link-incidents", {"numbers": "INC0000000"})
    assert response.status_code == 400
    assert "No such incident: INC0000000" in response.text

    url = reverse("problems:unlink-incident", args=[problem.pk, incidents[0].pk])
    response = client.post(url, {"version": Problem.objects.get(pk=problem.pk).version})
    assert response.status_code == 302
    assert list(problem.incidents.values_list("pk", flat=True)) == [incidents[1].pk]
    unlinked_url = reverse("problems:unlink-incident", args=[problem.pk, incidents[2].pk])
    assert client.post(unlinked_url, {"version": 99}).status_code == 404


def test_assigning_a_problem(agent, lead, team, problem):
    response = post(
        signed_in(agent), problem, "assign", {"assignment_group": team.pk, "assignee": lead.pk}
    )
    assert response.status_code == 302
    assert Problem.objects.get(pk=problem.pk).assignee == lead


# --- a change for the permanent fix ----------------------------------------------------


def test_raising_a_change_from_the_problem_page(agent, team, problem):
    service = ServiceFactory(name="Printing")
    ci = ConfigurationItemFactory(name="prn-01")
    problem.affected_services.add(service)
    problem.configuration_items.add(ci)
    Problem.objects.filter(pk=problem.pk).update(root_cause="Worn rollers")

    response = post(signed_in(agent), problem, "raise-change", {"change_type": "normal"})

    change = Change.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("changes:edit", args=[change.pk])
    assert (change.status, change.title, change.requester) == (
        "draft",
        "Fix: Printers jam weekly",
        agent,
    )
    assert "Root cause: Worn rollers" in change.description
    assert list(change.services.all()) == [service]
    assert list(change.configuration_items.all()) == [ci]
    assert TicketLink.objects.filter(source=change, target=problem).exists()
    page = signed_in(agent).get(detail_url(problem))
    assert [item["other"].pk for item in page.context["links"]] == [change.pk]


def test_a_cancelled_problem_raises_no_change(agent, problem):
    problem = services.problem_cancel(problem=problem, by=agent, reason="Duplicate")
    response = post(signed_in(agent), problem, "raise-change", {"change_type": "normal"})
    assert response.status_code == 400
    assert "cancelled" in response.text
    assert not Change.objects.exists()


def test_raising_a_change_through_the_api(api_as, agent, problem):
    client = api_as(agent)
    response = client.post(
        f"/api/v1/problems/{problem.pk}/change/",
        {"title": "Replace rollers", "change_type": "emergency"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.data["title"], response.data["change_type"]) == (
        "Replace rollers",
        "emergency",
    )
    assert TicketLink.objects.filter(source_id=response.data["id"], target=problem).exists()
    response = client.post(
        f"/api/v1/problems/{problem.pk}/change/", {"change_type": "standard"}, format="json"
    )
    assert response.status_code == 400
    assert "change_type" in response.json()["errors"]


# --- the known-error database ----------------------------------------------------------


def test_known_errors_are_searched_by_words_service_and_ci(agent, team):
    vpn, mail = ServiceFactory(name="VPN"), ServiceFactory(name="Mail")
    router = ConfigurationItemFactory(name="rt-01")

    def known(title, cause, workaround, service):
        p = services.problem_create(by=agent, title=title, service=service, assignment_group=team)
        p = services.problem_investigate(problem=p, by=agent)
        return services.problem_mark_known_error(
            problem=p, by=agent, root_cause=cause, workaround=workaround
        )

    tunnel = known("Tunnel drops", "MTU too large", "Lower the MTU to 1400", vpn)
    tunnel.configuration_items.add(router)
    quota = known("Mailbox full", "Quota", "Archive old mail", mail)
    services.problem_create(by=agent, title="Tunnel unknown yet", assignment_group=team)
    client = signed_in(agent)

    def found(**params):
        response = client.get(reverse("problems:known-errors"), params)
        assert response.status_code == 200
        return {p.number for p in response.context["page"].object_list}

    assert found() == {tunnel.number, quota.number}
    assert found(search="mtu") == {tunnel.number}
    assert found(service=mail.pk) == {quota.number}
    assert found(configuration_item=router.pk) == {tunnel.number}
    assert found(service="9" * 30) == set()  # a form error, not a 500
    assert "Lower the MTU to 1400" in client.get(reverse("problems:known-errors")).text


# --- the incident page ---------------------------------------------------------------------


def test_an_incident_page_shows_its_problems_workaround(agent, problem, incidents):
    services.problem_link_incidents(problem=problem, by=agent, incidents=[incidents[0]])
    problem = services.problem_investigate(problem=problem, by=agent)
    services.problem_mark_known_error(
        problem=problem, by=agent, root_cause="Rollers", workaround="Use *tray 2*"
    )
    response = signed_in(agent).get(reverse("incidents:detail", args=[incidents[0].pk]))
    assert response.context["problem_panel"]["problem"].pk == problem.pk
    assert "<em>tray 2</em>" in response.text
    assert reverse("problems:detail", args=[problem.pk]) in response.text


def test_an_incident_page_suggests_a_problem_naming_only_visible_incidents(settings, agent, team):
    settings.PROBLEM_SUGGESTION_MIN_INCIDENTS = 3
    vpn = ServiceFactory(name="VPN")
    hidden = make_incident(title="HR secret", service=vpn, assignment_group=TeamFactory(name="HR"))
    mine = [make_incident(title=f"VPN {n}", service=vpn, assignment_group=team) for n in range(2)]

    response = signed_in(agent).get(reverse("incidents:detail", args=[mine[1].pk]))

    panel = response.context["problem_panel"]
    assert "3 incidents in the last 7 days share the service VPN" in panel["suggestion"].reason
    assert {i.pk for i in panel["suggestion"].incidents} == {m.pk for m in mine}
    assert "HR secret" not in response.text
    assert f"incidents={hidden.pk}" not in panel["suggestion_url"]
    assert f"incidents={mine[0].pk}" in panel["suggestion_url"]


def test_the_api_suggestion_names_only_visible_incidents(settings, api_as, agent, team):
    settings.PROBLEM_SUGGESTION_MIN_INCIDENTS = 2
    vpn = ServiceFactory(name="VPN")
    make_incident(title="HR secret", service=vpn, assignment_group=TeamFactory(name="HR"))
    mine = make_incident(title="VPN down", service=vpn, assignment_group=team)
    response = api_as(agent).get(f"/api/v1/incidents/{mine.pk}/problem-suggestion/")
    assert response.data["suggested"] is True
    assert [i["title"] for i in response.data["incidents"]] == ["VPN down"]


def test_end_users_never_reach_the_problem_pages(end_user, problem):
    make_end_user(username="someone")
    client = signed_in(end_user)
    assert client.get(detail_url(problem)).status_code == 404
