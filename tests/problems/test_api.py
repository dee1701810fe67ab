"""The problem API, the known-error search and the incident's problem suggestion."""

import pytest

from incidents.models import Incident
from problems import services
from problems.models import Problem
from tests.factories import ServiceFactory, make_incident

URL = "/api/v1/problems/"


@pytest.fixture
def problem(agent, team):
    return services.problem_create(by=agent, title="Printers jam", assignment_group=team)


def url(problem, suffix=""):
    return f"{URL}{problem.pk}/{suffix}"


def test_an_agent_opens_a_problem_from_incidents(api_as, agent, team):
    incidents = [make_incident(assignment_group=team) for _ in range(2)]
    response = api_as(agent).post(
        URL,
        {
            "title": "Printers jam",
            "impact": 2,
            "urgency": 2,
            "incidents": [i.pk for i in incidents],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["incident_count"], body["status"]) == ("PRB0000001", 2, "new")
    assert set(Incident.objects.values_list("related_problem__number", flat=True)) == {"PRB0000001"}


def test_incidents_the_agent_cannot_see_are_refused(api_as, agent, other_team):
    hidden = make_incident(assignment_group=other_team)
    response = api_as(agent).post(URL, {"title": "x", "incidents": [hidden.pk]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["incidents"]
    assert not Problem.objects.exists()


def test_end_users_cannot_open_problems(api_as, end_user):
    assert api_as(end_user).post(URL, {"title": "x"}).status_code == 403


def test_the_known_error_walk_through_the_api(api_as, agent, team, problem):
    client = api_as(agent)
    incident = make_incident(assignment_group=team)
    assert client.post(url(problem, "incidents/"), {"incidents": [incident.pk]}).status_code == 200
    assert client.post(url(problem, "transitions/investigate/"), {}).json()["status"] == (
        "under_investigation"
    )
    missing = client.post(url(problem, "transitions/mark_known_error/"), {"root_cause": "Leak"})
    assert missing.status_code == 400
    assert list(missing.json()["errors"]) == ["workaround"]
    known = client.post(
        url(problem, "transitions/mark_known_error/"),
        {"root_cause": "Driver leak", "workaround": "Restart the spooler", "publication": "public"},
    )
    assert known.status_code == 200
    assert (known.json()["is_known_error"], known.json()["publication"]) == (True, "public")
    response = client.post(
        url(problem, "transitions/resolve/"),
        {"resolution_notes": "Driver 4.2", "resolve_incidents": True},
    )
    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    assert client.post(url(problem, "transitions/investigate/"), {}).status_code == 409


def test_linked_incidents_are_listed_and_unlinked(api_as, agent, team, problem):
    incident = make_incident(assignment_group=team)
    client = api_as(agent)
    client.post(url(problem, "incidents/"), {"incidents": [incident.pk]})
    assert [i["number"] for i in client.get(url(problem, "incidents/")).json()] == [incident.number]
    assert client.delete(url(problem, f"incidents/{incident.pk}/")).status_code == 204
    assert client.get(url(problem, "incidents/")).json() == []
    assert client.delete(url(problem, f"incidents/{incident.pk}/")).status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"incidents": []}, {"incidents": [999999]}, {"incidents": "all"}]
)
def test_bad_links_are_400(api_as, agent, problem, body):
    assert api_as(agent).post(url(problem, "incidents/"), body).status_code == 400


def test_the_problem_list_costs_the_same_queries_at_any_length(
    api_client, agent, team, django_assert_num_queries
):
    from rest_framework.authtoken.models import Token

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    service = ServiceFactory()
    for _ in range(2):
        p = services.problem_create(
            by=agent, title="p", assignment_group=team, affected_services=[service]
        )
        services.problem_link_incidents(
            problem=p, by=agent, incidents=[make_incident(assignment_group=team)]
        )
    with django_assert_num_queries(7):
        rows = api_client.get(URL).json()["results"]
    assert [row["incident_count"] for row in rows] == [1, 1]
    for _ in range(10):
        services.problem_create(
            by=agent, title="p", assignment_group=team, affected_services=[service]
        )
    with django_assert_num_queries(7):
        assert len(api_client.get(URL).json()["results"]) == 12


def test_known_errors_for_agents_and_end_users(api_as, agent, end_user, team):
    def known(title, publication):
        p = services.problem_create(by=agent, title=title, assignment_group=team)
        p = services.problem_investigate(problem=p, by=agent)
        return services.problem_mark_known_error(
            problem=p,
            by=agent,
            root_cause="secret cause",
            workaround="do this",
            publication=publication,
        )

    public, internal = known("VPN drops", "public"), known("Mail bounces", "internal")
    as_agent = api_as(agent).get("/api/v1/known-errors/").json()["results"]
    assert {row["number"] for row in as_agent} == {public.number, internal.number}
    as_user = api_as(end_user).get("/api/v1/known-errors/?search=vpn").json()["results"]
    assert [row["number"] for row in as_user] == [public.number]
    assert "root_cause" not in as_user[0]
    assert api_as(end_user).get("/api/v1/known-errors/?service=abc").status_code == 400


def test_the_incident_problem_suggestion(api_as, agent, team, end_user, settings):
    settings.PROBLEM_SUGGESTION_MIN_INCIDENTS = 2
    vpn = ServiceFactory(name="VPN")
    first = make_incident(assignment_group=team, service=vpn)
    second = make_incident(assignment_group=team, service=vpn)
    body = api_as(agent).get(f"/api/v1/incidents/{second.pk}/problem-suggestion/").json()
    assert body["suggested"] is True
    assert {i["number"] for i in body["incidents"]} == {first.number, second.number}
    assert (
        api_as(end_user).get(f"/api/v1/incidents/{second.pk}/problem-suggestion/").status_code
        == 404
    )


def test_the_known_error_list_costs_the_same_queries_at_any_length(
    api_with_token, agent, team, django_assert_num_queries
):
    def known(n):
        p = services.problem_create(by=agent, title=f"Known {n}", assignment_group=team)
        p = services.problem_investigate(problem=p, by=agent)
        services.problem_mark_known_error(
            problem=p, by=agent, root_cause="cause", workaround="do this", publication="public"
        )

    client = api_with_token(agent)
    known(0)
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/known-errors/").json()["results"]) == 1
    for n in range(1, 12):
        known(n)
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/known-errors/").json()["results"]) == 12
