"""The incident API: scoping, create, change, ETag/If-Match, transitions, errors, query counts."""

import pytest

from incidents.models import Category, Incident
from servicedesk.core.models import AuditEvent
from tests.factories import ConfigurationItemFactory, ServiceFactory, make_end_user, make_incident
from tests.incidents.factories import incident_in

URL = "/api/v1/incidents/"


def url(incident, suffix=""):
    return f"{URL}{incident.pk}/{suffix}"


@pytest.fixture
def incident(team, end_user):
    return make_incident(requester=end_user, assignment_group=team, impact=2, urgency=2)


# --- reading -------------------------------------------------------------------------


def test_agents_list_their_teams_incidents_only(api_as, agent, incident, other_team):
    make_incident(assignment_group=other_team)
    response = api_as(agent).get(URL)
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [incident.number]


def test_the_representation_holds_the_contract_fields(api_as, agent, incident):
    body = api_as(agent).get(url(incident)).json()
    assert {
        "id",
        "number",
        "status",
        "priority",
        "priority_label",
        "impact",
        "urgency",
        "created_at",
        "updated_at",
        "version",
        "response_due_at",
        "resolution_due_at",
        "sla_state",
        "assignment_group",
        "assignee",
        "category",
        "is_major",
        "problem",
    } <= set(body)
    assert (body["number"], body["status"], body["status_label"]) == (incident.number, "new", "New")
    assert (body["priority"], body["priority_label"]) == (3, "P3 moderate")


def test_end_users_see_their_own_incidents_without_internal_fields(api_as, end_user, incident):
    make_incident()  # someone else's
    response = api_as(end_user).get(URL)
    rows = response.json()["results"]
    assert [row["number"] for row in rows] == [incident.number]
    assert "assignment_group" not in rows[0]
    assert "assignee" not in rows[0]
    assert "configuration_items" not in rows[0]


@pytest.mark.parametrize("who", ["other_end_user", "other_agent"])
def test_other_peoples_incidents_are_404(api_as, incident, who, request):
    response = api_as(request.getfixturevalue(who)).get(url(incident))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_gets_401(api_client, incident):
    assert api_client.get(URL).status_code == 401


def test_filters_and_ordering(api_as, agent, team):
    low = make_incident(assignment_group=team, impact=3, urgency=3, title="Mouse squeaks")
    high = make_incident(assignment_group=team, impact=1, urgency=1, title="Mail down")
    client = api_as(agent)

    def numbers(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.json()
        return [r["number"] for r in response.json()["results"]]

    assert numbers("?priority=1") == [high.number]
    assert numbers("?priority=1&priority=5&ordering=priority") == [high.number, low.number]
    assert numbers("?ordering=-priority") == [low.number, high.number]
    assert numbers("?search=mail") == [high.number]
    assert numbers(f"?search={low.number}") == [low.number]
    assert numbers("?status=in_progress") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?priority=9", "priority"),
        ("?status=flying", "status"),
        ("?created_after=yesterday", "created_after"),
        ("?ordering=password", "ordering"),
        ("?assignee=abc", "assignee"),
    ],
)
def test_bad_filters_are_400_with_the_field_named(api_as, agent, query, field):
    response = api_as(agent).get(URL + query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_list_costs_the_same_queries_at_any_length(
    api_client, agent, team, django_assert_num_queries
):
    """Token auth (1), the agent's permissions (2), count (1), page (1), its CIs (1)."""
    from rest_framework.authtoken.models import Token

    client = api_client
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    ci = ConfigurationItemFactory()
    for _ in range(3):
        make_incident(assignment_group=team, configuration_items=[ci])
    with django_assert_num_queries(6):
        assert len(client.get(URL).json()["results"]) == 3
    for _ in range(20):
        make_incident(assignment_group=team, configuration_items=[ci], service=ServiceFactory())
    with django_assert_num_queries(6):
        assert len(client.get(URL).json()["results"]) == 23


# --- creating --------------------------------------------------------------------------


def test_an_end_user_logs_an_incident_for_themselves(api_as, end_user):
    response = api_as(end_user).post(
        URL, {"title": "VPN drops", "description": "Every 5 minutes", "impact": 3, "urgency": 1}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "INC0000001"
    assert (body["requester"], body["priority"], body["status"]) == (end_user.pk, 3, "new")
    assert response["ETag"] == '"1"'


def test_an_agent_logs_for_someone_else_with_team_and_cis(api_as, agent, team, end_user):
    ci = ConfigurationItemFactory()
    category = Category.objects.create(name="Network")
    response = api_as(agent).post(
        URL,
        {
            "title": "Switch down",
            "impact": 1,
            "urgency": 1,
            "requester": end_user.pk,
            "assignment_group": team.pk,
            "assignee": agent.pk,
            "configuration_items": [ci.pk],
            "category": category.pk,
        },
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert (incident.requester, incident.assignee, incident.category) == (end_user, agent, category)
    assert list(incident.configuration_items.all()) == [ci]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title"}),
        ({"title": "x", "impact": 4}, {"impact"}),
        ({"title": "x", "urgency": "high"}, {"urgency"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": "x", "status": "closed"}, {"status"}),
        ({"title": "x", "priority": 1}, {"priority"}),
        ({"title": "x", "number": "INC1"}, {"number"}),
        ({"title": "x", "colour": "red"}, {"colour"}),
        ({"title": "x", "service": 99999}, {"service"}),
        ({"title": "x", "configuration_items": "all"}, {"configuration_items"}),
    ],
)
def test_bad_creates_are_400_and_create_nothing(api_as, agent, body, fields):
    response = api_as(agent).post(URL, body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert not Incident.objects.exists()


def test_an_end_user_cannot_log_for_others_or_assign(api_as, end_user, other_end_user, team):
    client = api_as(end_user)
    # Neither is a writable field of the end users' representation.
    response = client.post(URL, {"title": "x", "requester": other_end_user.pk})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["requester"]
    response = client.post(URL, {"title": "x", "assignment_group": team.pk})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["assignment_group"]
    assert not Incident.objects.exists()


def test_an_assignee_outside_the_team_is_a_field_error(api_as, agent, team, other_agent):
    response = api_as(agent).post(
        URL, {"title": "x", "assignment_group": team.pk, "assignee": other_agent.pk}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["assignee"]


# --- changing -----------------------------------------------------------------------------


def test_patch_changes_fields_and_raises_the_version(api_as, agent, incident):
    response = api_as(agent).patch(url(incident), {"urgency": 1, "title": "Printer on fire"})
    assert response.status_code == 200
    body = response.json()
    assert (body["urgency"], body["priority"], body["title"], body["version"]) == (
        1,
        2,
        "Printer on fire",
        2,
    )
    assert response["ETag"] == '"2"'


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(api_as, agent, lead, incident):
    api_as(lead).patch(url(incident), {"title": "Edited by the lead"})
    response = api_as(agent).patch(url(incident), {"title": "Mine"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["code"] == "stale_version"
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("Edited by the lead", 2)


def test_patch_with_the_current_if_match_applies(api_as, agent, incident):
    response = api_as(agent).patch(url(incident), {"title": "Mine"}, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_a_malformed_if_match_is_400(api_as, agent, incident):
    response = api_as(agent).patch(url(incident), {"title": "Mine"}, HTTP_IF_MATCH="yesterday")
    assert response.status_code == 400


def test_patch_assigns_and_declares_major_in_one_request(api_as, agent, team, incident):
    response = api_as(agent).patch(
        url(incident), {"assignee": agent.pk, "is_major": True, "major_reason": "Floor down"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["assignee"], body["is_major"], body["version"]) == (agent.pk, True, 3)


def test_declaring_major_needs_a_reason(api_as, agent, incident):
    response = api_as(agent).patch(url(incident), {"is_major": True})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["major_reason"]


def test_end_users_cannot_patch(api_as, end_user, incident):
    assert api_as(end_user).patch(url(incident), {"title": "Mine now"}).status_code == 403
    incident.refresh_from_db()
    assert incident.title != "Mine now"


def test_agents_of_other_teams_cannot_patch(api_as, other_agent, incident):
    assert api_as(other_agent).patch(url(incident), {"title": "x"}).status_code == 404


# --- transitions -----------------------------------------------------------------------


def test_the_allowed_transitions_are_listed_with_their_fields(api_as, agent, end_user, incident):
    started = incident_in("in_progress", incident=incident, agent=agent)
    listed = api_as(agent).get(url(started, "transitions/")).json()
    assert {t["name"]: t["required"] for t in listed} == {
        "hold": ["reason"],
        "resolve": ["resolution_code", "resolution_notes"],
        "cancel": ["reason"],
    }
    assert api_as(end_user).get(url(started, "transitions/")).json() == []


def test_a_transition_runs_and_answers_with_the_ticket(api_as, agent, incident):
    client = api_as(agent)
    response = client.post(url(incident, "transitions/start/"), {})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["assignee"]) == ("in_progress", agent.pk)
    response = client.post(
        url(incident, "transitions/resolve/"),
        {"resolution_code": "solved", "resolution_notes": "New toner"},
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"


def test_a_transition_not_allowed_now_is_409(api_as, agent, incident):
    response = api_as(agent).post(url(incident, "transitions/resume/"), {})
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_a_missing_transition_field_is_400(api_as, agent, incident):
    started = incident_in("in_progress", incident=incident, agent=agent)
    response = api_as(agent).post(url(started, "transitions/hold/"), {})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_an_unknown_transition_is_404(api_as, agent, incident):
    assert api_as(agent).post(url(incident, "transitions/explode/"), {}).status_code == 404


def test_a_stale_transition_is_412(api_as, agent, incident):
    response = api_as(agent).post(url(incident, "transitions/start/"), {}, HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_the_requester_confirms_through_the_api(api_as, agent, end_user, incident):
    resolved = incident_in("resolved", incident=incident, agent=agent)
    response = api_as(end_user).post(url(resolved, "transitions/close/"), {})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert AuditEvent.objects.filter(ticket_id=incident.pk).last().actor == end_user


def test_an_end_user_cannot_run_agent_transitions(api_as, end_user, incident):
    response = api_as(end_user).post(url(incident, "transitions/start/"), {})
    assert response.status_code == 403
    assert make_end_user() is not None


def test_a_date_filter_with_an_offset_postgresql_cannot_store_still_works(api_as, agent, incident):
    # +20:41 is a valid ISO 8601 offset for Python, out of range for PostgreSQL.
    client = api_as(agent)
    response = client.get(URL + "?updated_after=2000-01-01T00:00:00%2B20:41")
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [incident.number]
    assert client.get(URL + "?created_before=2000-01-01T00:00:00%2B20:41").json()["count"] == 0
