"""Canned replies: rendering without format injection, who gets which, the reply box and the API."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from incidents import services
from problems.models import Problem
from servicedesk.core import services as core_services
from servicedesk.core.models import CannedReply, Ticket
from tests.factories import make_incident, make_problem, make_request

URL = "/api/v1/canned-replies/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def incident(team, end_user):
    end_user.first_name, end_user.last_name = "Eve", "Adams"
    end_user.save(update_fields=["first_name", "last_name"])
    return make_incident(title="Printer jams", requester=end_user, assignment_group=team)


@pytest.fixture
def named_agent(agent):
    agent.first_name, agent.last_name = "Alice", "Archer"
    agent.save(update_fields=["first_name", "last_name"])
    return agent


@pytest.fixture
def replies(team, other_team):
    return {
        "global": CannedReply.objects.create(title="Acknowledge", body="Hello {requester_name}"),
        "mine": CannedReply.objects.create(title="Printer tips", body="Try tray 2.", team=team),
        "theirs": CannedReply.objects.create(title="VLAN", body="Reboot.", team=other_team),
        "inactive": CannedReply.objects.create(title="Old", body="Gone.", is_active=False),
    }


# --- rendering ------------------------------------------------------------------------------------


def test_every_placeholder_is_filled_in(named_agent, incident):
    reply = CannedReply(
        title="All",
        body=(
            "Hi {requester_name}, {ticket_number} “{ticket_title}” is with me. "
            "{agent_name}. Workaround: {workaround}."
        ),
    )

    text = core_services.canned_reply_render(reply, incident, named_agent)

    assert text == (
        f"Hi Eve Adams, {incident.number} “Printer jams” is with me. Alice Archer. Workaround: ."
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{__class__}", "{__class__}"),
        ("{0} and {}", "{0} and {}"),
        ("{requester_name.__class__}", "{requester_name.__class__}"),
        ("{requester_name!r} {agent_name:>20}", "{requester_name!r} {agent_name:>20}"),
        ("{unknown} stays", "{unknown} stays"),
        ('{"json": {"nested": true}}', '{"json": {"nested": true}}'),
        ("a { lone brace and } another", "a { lone brace and } another"),
        ("{{requester_name}}", "{Eve Adams}"),
        ("{requester_name}{requester_name}", "Eve AdamsEve Adams"),
        ("{ticket_title}", "Printer jams"),
    ],
)
def test_only_known_placeholders_are_replaced_and_braces_stay_as_written(
    named_agent, incident, body, expected
):
    reply = CannedReply(title="Braces", body=body)

    assert core_services.canned_reply_render(reply, incident, named_agent) == expected


def test_a_value_with_braces_is_not_expanded_again(named_agent, team, end_user):
    end_user.first_name, end_user.last_name = "{agent_name}", "{__class__}"
    end_user.save(update_fields=["first_name", "last_name"])
    incident = make_incident(title="{ticket_number}", requester=end_user, assignment_group=team)
    reply = CannedReply(title="x", body="{requester_name} / {ticket_title}")

    text = core_services.canned_reply_render(reply, incident, named_agent)

    assert text == "{agent_name} {__class__} / {ticket_number}"


def test_the_workaround_comes_from_the_linked_problem(named_agent, lead, incident):
    problem = make_problem(title="Fuser wears out", requester=lead)
    Problem.objects.filter(pk=problem.pk).update(workaround="Print from tray 2 until fixed.")
    services.incident_link_problem(
        incident=incident, by=named_agent, problem=Problem.objects.get(pk=problem.pk)
    )
    reply = CannedReply(title="Workaround", body="While we fix it: {workaround}")
    incident.refresh_from_db()

    assert core_services.canned_reply_render(reply, incident, named_agent) == (
        "While we fix it: Print from tray 2 until fixed."
    )
    # The bare ticket row works too: its practice's row is looked up.
    bare = Ticket.objects.get(pk=incident.pk)
    assert core_services.canned_reply_render(reply, bare, named_agent) == (
        "While we fix it: Print from tray 2 until fixed."
    )


def test_no_problem_or_another_practice_means_an_empty_workaround(named_agent, team, incident):
    reply = CannedReply(title="Workaround", body="[{workaround}]")
    request_ticket = make_request(title="Laptop", assignment_group=team)

    assert core_services.canned_reply_render(reply, incident, named_agent) == "[]"
    assert core_services.canned_reply_render(reply, request_ticket, named_agent) == "[]"


# --- who gets which -------------------------------------------------------------------------------


def test_agents_get_the_global_replies_and_their_teams(agent, replies):
    titles = list(CannedReply.objects.for_agent(agent).values_list("title", flat=True))

    assert titles == ["Acknowledge", "Printer tips"]


def test_admins_get_every_active_reply(admin_user, replies):
    titles = list(CannedReply.objects.for_agent(admin_user).values_list("title", flat=True))

    assert titles == ["Acknowledge", "Printer tips", "VLAN"]


def test_end_users_get_none(end_user, replies):
    assert list(CannedReply.objects.for_agent(end_user)) == []


def test_a_reply_of_an_inactive_team_is_not_offered(agent, team, replies):
    team.is_active = False
    team.save(update_fields=["is_active"])

    titles = list(CannedReply.objects.for_agent(agent).values_list("title", flat=True))

    assert titles == ["Acknowledge"]


# --- the reply box --------------------------------------------------------------------------------


def test_the_reply_form_offers_the_agents_replies(agent, incident, replies):
    content = signed_in(agent).get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    select = re.search(r'<select id="canned_reply".*?</select>', content, re.S).group(0)
    assert re.findall(r'<option value="(\d*)">([^<]+)</option>', select) == [
        ("", "Choose a reply…"),
        (str(replies["global"].pk), "Acknowledge"),
        (str(replies["mine"].pk), "Printer tips"),
    ]
    assert f'hx-post="/incidents/{incident.pk}/canned-reply/"' in select
    assert 'hx-target="#reply_body"' in select
    assert 'hx-params="canned_reply,body"' in select


def test_inserting_a_reply_adds_it_to_what_is_typed(named_agent, incident, replies):
    response = signed_in(named_agent).post(
        reverse("incidents:canned_reply", args=[incident.pk]),
        {"canned_reply": replies["global"].pk, "body": "Thanks for calling.  "},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert re.search(
        r'<textarea name="body" [^>]*autofocus[^>]*id="reply_body">\n'
        r"Thanks for calling.\n\nHello Eve Adams</textarea>",
        content,
    )
    assert (
        '<span id="reply-status" hx-swap-oob="innerHTML">“Acknowledge” was added to your '
        "message. Edit it before sending.</span>"
    ) in content
    assert '<select id="canned_reply" name="canned_reply" hx-swap-oob="true"' in content


def test_inserting_into_an_empty_box_gives_just_the_reply(named_agent, incident, replies):
    response = signed_in(named_agent).post(
        reverse("incidents:canned_reply", args=[incident.pk]),
        {"canned_reply": replies["mine"].pk, "body": ""},
    )

    assert ">\nTry tray 2.</textarea>" in response.content.decode()


def test_choosing_no_reply_keeps_the_text(agent, incident, replies):
    response = signed_in(agent).post(
        reverse("incidents:canned_reply", args=[incident.pk]), {"canned_reply": "", "body": "Hi"}
    )

    assert ">\nHi</textarea>" in response.content.decode()


@pytest.mark.parametrize("which", ["theirs", "inactive"])
def test_a_reply_the_agent_may_not_use_is_404(agent, incident, replies, which):
    response = signed_in(agent).post(
        reverse("incidents:canned_reply", args=[incident.pk]),
        {"canned_reply": replies[which].pk, "body": ""},
    )

    assert response.status_code == 404


# --- the API --------------------------------------------------------------------------------------


def test_the_api_lists_the_replies_an_agent_may_use(api_as, agent, replies):
    response = api_as(agent).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "id": replies["global"].pk,
        "title": "Acknowledge",
        "body": "Hello {requester_name}",
        "team": None,
        "is_active": True,
        "updated_at": body["results"][0]["updated_at"],
    }
    assert [row["title"] for row in body["results"]] == ["Acknowledge", "Printer tips"]


def test_the_api_filters_by_team(api_as, agent, team, replies):
    by_team = api_as(agent).get(URL, {"team": team.pk}).json()
    only_global = api_as(agent).get(URL, {"is_global": "true"}).json()

    assert [row["title"] for row in by_team["results"]] == ["Printer tips"]
    assert [row["title"] for row in only_global["results"]] == ["Acknowledge"]


def test_the_api_is_for_agents(api_client, api_as, end_user, replies):
    assert api_client.get(URL).status_code == 401
    response = api_as(end_user).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_api_renders_a_reply_for_a_ticket(api_as, named_agent, incident, replies):
    reply = replies["global"]
    reply.body = "Hello {requester_name}, about {ticket_number}: {__class__}"
    reply.save()

    response = api_as(named_agent).get(f"{URL}{reply.pk}/render/", {"ticket": incident.pk})

    assert response.status_code == 200
    assert response.json() == {
        "id": reply.pk,
        "title": "Acknowledge",
        "ticket": incident.pk,
        "body": f"Hello Eve Adams, about {incident.number}: {{__class__}}",
    }


@pytest.mark.parametrize(
    ("which", "ticket", "status"),
    [
        ("global", "hidden", 404),
        ("theirs", "mine", 404),
        ("inactive", "mine", 404),
        ("global", "", 400),
        ("global", "abc", 400),
        ("global", "99999999999999999999999", 400),
    ],
)
def test_the_api_render_refuses_what_the_agent_may_not_see(
    api_as, agent, other_team, incident, replies, which, ticket, status
):
    hidden = make_incident(assignment_group=other_team)
    ticket_id = {"hidden": hidden.pk, "mine": incident.pk}.get(ticket, ticket)

    response = api_as(agent).get(f"{URL}{replies[which].pk}/render/", {"ticket": ticket_id})

    assert response.status_code == status


def test_the_api_schema_documents_the_endpoints(api_client, db):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert sorted(paths["/api/v1/canned-replies/"]) == ["get"]
    render = paths["/api/v1/canned-replies/{id}/render/"]["get"]
    assert [(p["name"], p["required"]) for p in render["parameters"] if p["in"] == "query"] == [
        ("ticket", True)
    ]


# --- admin ----------------------------------------------------------------------------------------


def test_admins_manage_canned_replies_in_the_back_office(db, team, replies):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = signed_in(root)

    listing = client.get(reverse("admin:core_cannedreply_changelist"))
    added = client.post(
        reverse("admin:core_cannedreply_add"),
        {"title": "Closing", "team": team.pk, "body": "Bye {requester_name}", "is_active": "on"},
    )

    assert listing.status_code == 200
    assert "Printer tips" in listing.content.decode()
    assert added.status_code == 302
    assert CannedReply.objects.get(title="Closing").team == team
