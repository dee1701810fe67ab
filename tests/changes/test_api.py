"""The change API: create, scoping, transitions, votes, freezes, standard changes, query counts."""

from datetime import timedelta

import pytest
from rest_framework.authtoken.models import Token

from changes.models import CABVote, Change, FreezePeriod
from servicedesk.core.models import AuditEvent
from tests.changes.factories import (
    PLANS,
    change_in,
    make_freeze,
    make_template,
    ready_change,
    window,
)
from tests.factories import ConfigurationItemFactory, ServiceFactory

URL = "/api/v1/changes/"


def url(change, suffix=""):
    return f"{URL}{change.pk}/{suffix}"


def body(**fields):
    start, end = window()
    return {
        "title": "Upgrade the VPN gateway firmware",
        "description": "Firmware 9.4.2 restores the DPD default.",
        "change_type": "normal",
        "risk": "medium",
        "risk_reason": "Done twice before.",
        "planned_start": start.isoformat(),
        "planned_end": end.isoformat(),
        **PLANS,
        **fields,
    }


@pytest.fixture
def change(agent, team, board):
    return ready_change(by=agent, assignment_group=team)


# --- creating and reading ------------------------------------------------------------------


def test_an_agent_raises_a_change_with_the_contract_fields(api_as, agent, team):
    vpn = ServiceFactory(name="VPN")
    gateway = ConfigurationItemFactory(name="vpn-gw-01")
    response = api_as(agent).post(
        URL,
        body(services=[vpn.pk], configuration_items=[gateway.pk], assignment_group=team.pk),
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["number"], data["status"], data["change_type"], data["risk"]) == (
        "CHG0000001",
        "draft",
        "normal",
        "medium",
    )
    assert (data["services"], data["configuration_items"], data["requester"]) == (
        [vpn.pk],
        [gateway.pk],
        agent.pk,
    )
    assert data["risk_assessment"] is None
    assert response["ETag"] == '"1"'


def test_the_risk_questionnaire_is_answered_through_the_api(api_as, agent):
    answers = {
        "affects_critical_service": True,
        "causes_outage": False,
        "hard_to_back_out": True,
        "not_tested": True,
        "first_of_its_kind": False,
        "several_teams": False,
    }
    fields = body(risk_assessment=answers)
    del fields["risk"], fields["risk_reason"]
    response = api_as(agent).post(URL, fields)
    assert response.status_code == 201, response.json()
    assert (response.json()["risk"], response.json()["risk_assessment"]) == ("very_high", answers)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"risk_reason": ""}, {"risk_reason"}),
        ({"change_type": "standard"}, {"change_type"}),
        ({"risk": "huge"}, {"risk"}),
        (
            {"risk_assessment": {"not_tested": True}},
            {
                "risk_assessment.affects_critical_service",
                "risk_assessment.causes_outage",
                "risk_assessment.hard_to_back_out",
                "risk_assessment.first_of_its_kind",
                "risk_assessment.several_teams",
            },
        ),
        ({"planned_end": "2020-01-01T00:00:00Z"}, {"planned_end"}),
        ({"planned_start": "soon"}, {"planned_start"}),
        ({"outcome": "successful"}, {"outcome"}),
        ({"status": "scheduled"}, {"status"}),
        ({"services": [99999]}, {"services"}),
    ],
)
def test_bad_changes_are_400_and_create_nothing(api_as, agent, fields, errors):
    response = api_as(agent).post(URL, body(**fields))
    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == errors
    assert not Change.objects.exists()


def test_end_users_cannot_raise_changes(api_as, end_user):
    assert api_as(end_user).post(URL, body()).status_code == 403


def test_agents_see_their_teams_changes_and_the_board_sees_all(
    api_as, agent, other_agent, change, members
):
    numbers = lambda user: [r["number"] for r in api_as(user).get(URL).json()["results"]]  # noqa: E731
    assert numbers(agent) == [change.number]
    assert numbers(other_agent) == []
    assert numbers(members[0]) == [change.number]
    shown = api_as(members[0]).get(url(change)).json()
    assert "assignee" not in shown  # a CAB member without the agent role: public fields
    assert shown["backout_plan"] == PLANS["backout_plan"]


def test_filters(api_as, agent, team, change):
    emergency = ready_change(by=agent, assignment_group=team, change_type="emergency")
    client = api_as(agent)
    numbers = lambda q: [r["number"] for r in client.get(URL + q).json()["results"]]  # noqa: E731
    assert numbers("?change_type=emergency") == [emergency.number]
    assert numbers("?risk=medium&ordering=number") == [change.number, emergency.number]
    start = change.planned_start
    assert (
        numbers(f"?window_after={(start + timedelta(days=1)).isoformat()}".replace("+", "%2B"))
        == []
    )
    assert client.get(URL + "?change_type=minor").status_code == 400


def test_patch_plans_a_draft_and_refuses_content_once_authorization_is_asked(api_as, agent, change):
    client = api_as(agent)
    response = client.patch(url(change), {"test_plan": "Ping from three sites."})
    assert response.status_code == 200
    assert (response.json()["test_plan"], response.json()["version"]) == (
        "Ping from three sites.",
        2,
    )
    waiting = change_in("authorization", change=Change.objects.get(pk=change.pk), agent=agent)
    response = client.patch(url(waiting), {"backout_plan": "None"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["backout_plan"]


# --- transitions ------------------------------------------------------------------------------


def test_submission_without_plans_is_400_naming_them(api_as, agent):
    draft = api_as(agent).post(URL, {"title": "Move the file server"}).json()
    response = api_as(agent).post(f"{URL}{draft['id']}/transitions/submit/", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "implementation_plan",
        "backout_plan",
        "test_plan",
        "risk",
        "planned_start",
        "planned_end",
    }


def test_the_whole_lifecycle_through_the_api(api_as, agent, change, members, manager):
    client = api_as(agent)
    listed = client.get(url(change, "transitions/")).json()
    assert {t["name"]: t["fields"] for t in listed} == {
        "submit": ["override_reason"],
        "cancel": ["reason"],
    }
    response = client.post(url(change, "transitions/submit/"), {}, HTTP_IF_MATCH='"1"')
    assert (response.status_code, response.json()["status"]) == (200, "assessment")
    response = client.post(url(change, "transitions/request_authorization/"), {})
    assert response.json()["status"] == "authorization"

    first = api_as(members[0]).post(url(change, "votes/"), {"decision": "reject", "comment": "?"})
    assert first.status_code == 201
    assert (first.json()["change_status"], first.json()["cab_decision"]) == (
        "authorization",
        "pending",
    )
    again = api_as(members[0]).post(
        url(change, "votes/"), {"decision": "approve", "comment": "Backout tested."}
    )
    assert again.status_code == 200
    second = api_as(members[1]).post(
        url(change, "votes/"), {"decision": "approve", "comment": "OK"}
    )
    assert (second.json()["change_status"], second.json()["cab_decision"]) == (
        "scheduled",
        "approved",
    )
    votes = client.get(url(change, "votes/")).json()
    assert [(v["voter"], v["decision"]) for v in votes] == [
        (members[0].pk, "approve"),
        (members[1].pk, "approve"),
    ]

    assert client.post(url(change, "transitions/start/"), {}).json()["status"] == "implementing"
    response = client.post(url(change, "transitions/complete/"), {"outcome": "successful"})
    assert (response.json()["status"], response.json()["outcome"]) == ("review", "successful")
    assert response.json()["actual_end"] is not None
    response = client.post(url(change, "transitions/close/"), {"review_notes": "All good."})
    assert (response.json()["status"], response.json()["review_notes"]) == ("closed", "All good.")


def test_a_transition_not_allowed_now_is_409(api_as, agent, change):
    response = api_as(agent).post(url(change, "transitions/start/"), {})
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


def test_a_missing_transition_field_is_400(api_as, agent, change):
    response = api_as(agent).post(url(change, "transitions/cancel/"), {})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_a_stale_transition_is_412(api_as, agent, change):
    response = api_as(agent).post(url(change, "transitions/submit/"), {}, HTTP_IF_MATCH='"9"')
    assert response.status_code == 412
    assert Change.objects.get(pk=change.pk).status == "draft"


# --- votes ---------------------------------------------------------------------------------


def test_votes_from_outside_the_board_or_after_the_decision_are_refused(
    api_as, agent, other_agent, change, members, settings
):
    settings.CHANGE_CAB_QUORUM = "1"
    waiting = change_in("authorization", change=change, agent=agent)
    assert (
        api_as(other_agent)
        .post(url(waiting, "votes/"), {"decision": "approve", "comment": "x"})
        .status_code
        == 404
    )
    assert (
        api_as(agent)
        .post(url(waiting, "votes/"), {"decision": "approve", "comment": "x"})
        .status_code
        == 403
    )
    response = api_as(members[0]).post(url(waiting, "votes/"), {"decision": "maybe"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"decision", "comment"}
    api_as(members[0]).post(url(waiting, "votes/"), {"decision": "approve", "comment": "Yes"})
    late = api_as(members[1]).post(url(waiting, "votes/"), {"decision": "reject", "comment": "No"})
    assert (late.status_code, late.json()["code"]) == (409, "conflict")
    assert CABVote.objects.count() == 1


def test_every_vote_is_on_the_change_history(api_as, agent, change, members):
    waiting = change_in("authorization", change=change, agent=agent)
    api_as(members[0]).post(url(waiting, "votes/"), {"decision": "approve", "comment": "Fine."})
    history = api_as(agent).get(f"/api/v1/tickets/{waiting.pk}/history/").json()["results"]
    assert [(e["note"], e["changes"]) for e in history][-1] == (
        "Fine.",
        {"cab_vote": {"from": None, "to": "approve"}},
    )
    assert AuditEvent.objects.filter(ticket_id=waiting.pk, note="Fine.").count() == 1


# --- freeze periods --------------------------------------------------------------------------

FREEZES = "/api/v1/freeze-periods/"


def test_change_managers_declare_freezes_and_agents_read_them(api_as, manager, agent):
    start, end = window(days=40, hours=24 * 5)
    response = api_as(manager).post(
        FREEZES,
        {
            "name": "Year-end",
            "reason": "Books close",
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created_by"] == manager.pk
    assert (
        api_as(agent)
        .post(FREEZES, {"name": "x", "start": start.isoformat(), "end": end.isoformat()})
        .status_code
        == 403
    )
    listed = api_as(agent).get(FREEZES + f"?ends_after={start.isoformat()}".replace("+", "%2B"))
    assert [f["name"] for f in listed.json()["results"]] == ["Year-end"]
    freeze = FreezePeriod.objects.get()
    response = api_as(manager).patch(f"{FREEZES}{freeze.pk}/", {"end": start.isoformat()})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["end"]


def test_end_users_do_not_see_freezes(api_as, end_user):
    assert api_as(end_user).get(FREEZES).status_code == 403


# --- standard changes ------------------------------------------------------------------------

STANDARD = "/api/v1/standard-changes/"


def test_agents_instantiate_a_standard_change_that_skips_the_cab(api_as, agent, team):
    gateway = ConfigurationItemFactory(name="vpn-gw-01")
    template = make_template(assignment_group=team, configuration_items=[gateway])
    client = api_as(agent)
    assert [t["name"] for t in client.get(STANDARD).json()["results"]] == [template.name]
    start, _end = window()
    response = client.post(
        f"{STANDARD}{template.pk}/instantiate/", {"planned_start": start.isoformat()}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["change_type"], data["template"], data["status"], data["configuration_items"]) == (
        "standard",
        template.pk,
        "draft",
        [gateway.pk],
    )
    submitted = client.post(f"{URL}{data['id']}/transitions/submit/", {})
    assert submitted.json()["status"] == "scheduled"

    # A second one in the same window on the same CI is a conflict; a change manager may override.
    again = client.post(
        f"{STANDARD}{template.pk}/instantiate/", {"planned_start": start.isoformat()}
    )
    refused = client.post(f"{URL}{again.json()['id']}/transitions/submit/", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "schedule_conflict"
    assert list(refused.json()["errors"]) == ["planned_start"]


def test_a_freeze_refuses_the_standard_change(api_as, agent, team):
    template = make_template(assignment_group=team)
    start, end = window()
    make_freeze(start, end)
    created = api_as(agent).post(
        f"{STANDARD}{template.pk}/instantiate/", {"planned_start": start.isoformat()}
    )
    refused = api_as(agent).post(f"{URL}{created.json()['id']}/transitions/submit/", {})
    assert (refused.status_code, refused.json()["errors"]) == (
        409,
        {"planned_start": ["Overlaps the freeze “Year-end freeze”."]},
    )


def test_end_users_cannot_use_templates(api_as, end_user, team):
    template = make_template(assignment_group=team)
    assert api_as(end_user).get(STANDARD).status_code == 403
    start, _end = window()
    assert (
        api_as(end_user)
        .post(f"{STANDARD}{template.pk}/instantiate/", {"planned_start": start.isoformat()})
        .status_code
        == 403
    )


# --- query counts ------------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_at_any_length(
    api_client, agent, team, django_assert_num_queries
):
    """Token auth (1), the agent's permissions (2), count (1), page (1), CIs (1), services (1)."""
    client = api_client
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    ci, service = ConfigurationItemFactory(), ServiceFactory()
    for _ in range(3):
        ready_change(by=agent, assignment_group=team, configuration_items=[ci], services=[service])
    with django_assert_num_queries(7):
        assert len(client.get(URL).json()["results"]) == 3
    for n in range(20):
        ready_change(
            by=agent,
            assignment_group=team,
            configuration_items=[ci, ConfigurationItemFactory()],
            services=[ServiceFactory(name=f"S{n}")],
        )
    with django_assert_num_queries(7):
        assert len(client.get(URL).json()["results"]) == 23


def test_a_window_past_the_year_9999_is_a_field_error(api_as, agent, team):
    template = make_template(assignment_group=team)
    response = api_as(agent).post(
        f"{STANDARD}{template.pk}/instantiate/", {"planned_start": "9999-12-31T23:59:00Z"}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["planned_start"]
