"""/api/v1/teams/: agents read the teams, admins create them and set their members."""

import pytest

from servicedesk.core.models import Membership, Team, User
from tests.factories import TeamFactory, make_agent, make_end_user

URL = "/api/v1/teams/"
# permissions of the caller (own and through groups), count, page, memberships
LIST_QUERIES = 5


def detail_url(team: Team) -> str:
    return f"{URL}{team.pk}/"


def invalid(errors: dict) -> dict:
    return {
        "status": 400,
        "code": "invalid",
        "detail": "Some fields are not valid.",
        "errors": errors,
    }


def not_a_choice(value: object = None) -> str:
    """django-filter's message for a value outside the choices (None: for an object choice)."""
    shown = "That choice" if value is None else value
    return f"Select a valid choice. {shown} is not one of the available choices."


def no_such(pk: int) -> str:
    return f'Invalid pk "{pk}" - object does not exist.'


def snapshot() -> list:
    return [
        list(Team.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values("team_id", "user_id", "is_lead")),
    ]


@pytest.mark.parametrize(
    ("who", "method", "path", "expected"),
    [
        ("anonymous", "get", "list", 401),
        ("anonymous", "get", "detail", 401),
        ("anonymous", "post", "list", 401),
        ("end_user", "get", "list", 403),
        ("end_user", "get", "detail", 403),
        ("end_user", "post", "list", 403),
        ("end_user", "patch", "detail", 403),
        ("agent", "get", "list", 200),
        ("agent", "get", "detail", 200),
        ("agent", "post", "list", 403),
        ("agent", "patch", "detail", 403),
        ("lead", "patch", "detail", 403),
        ("admin_user", "get", "list", 200),
        ("admin_user", "get", "detail", 200),
    ],
)
def test_agents_read_teams_and_only_admins_write_them(
    request, as_user, team, who, method, path, expected
):
    caller = None if who == "anonymous" else request.getfixturevalue(who)
    url = URL if path == "list" else detail_url(team)
    body = {"get": None, "post": {"name": "New team"}, "patch": {"name": "Renamed"}}[method]
    before = snapshot()

    response = getattr(as_user(caller), method)(url, body, format="json")

    assert response.status_code == expected
    if expected >= 400:
        assert response.json()["code"] == (
            "not_authenticated" if expected == 401 else "permission_denied"
        )
    assert snapshot() == before


def test_an_agent_reads_a_team_with_its_members(as_user, agent, lead, team):
    Team.objects.filter(pk=team.pk).update(description="First line", email="sd@example.com")

    response = as_user(agent).get(detail_url(team))

    assert response.status_code == 200
    assert response.json() == {
        "id": team.pk,
        "name": "Service Desk",
        "kind": "support",
        "description": "First line",
        "email": "sd@example.com",
        "is_active": True,
        "members": [
            {"user": agent.pk, "is_lead": False},
            {"user": lead.pk, "is_lead": True},
        ],
    }


@pytest.mark.parametrize("size", [2, 12])
def test_the_team_list_costs_the_same_queries_whatever_its_length(list_queries, agent, size):
    for n in range(size):
        other = TeamFactory(name=f"Team {n:02d}")
        for m in range(3):
            make_agent(other, lead=m == 0, username=f"agent-{n}-{m}")

    body = list_queries(agent, URL, LIST_QUERIES)

    assert body["count"] == size + 1
    assert sum(len(row["members"]) for row in body["results"]) == size * 3 + 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["CAB", "Database", "Network", "Service Desk"]),
        ("?kind=cab", ["CAB"]),
        ("?kind=support", ["Database", "Network", "Service Desk"]),
        ("?is_active=false", ["Database"]),
        ("?is_active=true&kind=support", ["Network", "Service Desk"]),
        ("?name=DESK", ["Service Desk"]),
        ("?name=a", ["CAB", "Database"]),
        ("?ordering=-name", ["Service Desk", "Network", "Database", "CAB"]),
        ("?ordering=kind,-name", ["CAB", "Service Desk", "Network", "Database"]),
    ],
)
def test_teams_are_filtered_and_ordered(as_user, agent, other_team, query, expected):
    TeamFactory(name="CAB", kind="cab")
    TeamFactory(name="Database", is_active=False)

    response = as_user(agent).get(URL + query)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?kind=circus", {"kind": [not_a_choice("circus")]}),
        ("?ordering=email", {"ordering": [not_a_choice("email")]}),
        ("?name=a%00b", {"name": ["Null characters are not allowed."]}),
    ],
)
def test_bad_team_filters_are_400(as_user, agent, query, errors):
    response = as_user(agent).get(URL + query)

    assert response.status_code == 400
    assert response.json() == invalid(errors)


def test_an_admin_creates_a_team_with_members(as_user, admin_user, agent):
    cab_member = make_end_user(username="carl")
    body = {
        "name": "Change board",
        "kind": "cab",
        "description": "Approves normal changes",
        "email": "cab@example.com",
        "members": [{"user": agent.pk, "is_lead": True}, {"user": cab_member.pk}],
    }

    response = as_user(admin_user).post(URL, body, format="json")

    assert response.status_code == 201
    team = Team.objects.get(name="Change board")
    assert response.json() == {
        "id": team.pk,
        "name": "Change board",
        "kind": "cab",
        "description": "Approves normal changes",
        "email": "cab@example.com",
        "is_active": True,
        "members": [
            {"user": agent.pk, "is_lead": True},
            {"user": cab_member.pk, "is_lead": False},
        ],
    }
    # team_set_members grants the roles membership implies
    assert cab_member.groups.filter(name="CAB members").exists()


def test_a_team_created_with_only_a_name_is_an_empty_support_team(as_user, admin_user):
    response = as_user(admin_user).post(URL, {"name": "Field service"}, format="json")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["members"]) == ("support", [])


def test_an_admin_renames_a_team_and_replaces_its_members(as_user, admin_user, agent, lead, team):
    newcomer = make_agent(None, username="nora")
    body = {"name": "Front desk", "is_active": False, "members": [{"user": newcomer.pk}]}

    response = as_user(admin_user).patch(detail_url(team), body, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Front desk"
    assert response.json()["is_active"] is False
    assert response.json()["members"] == [{"user": newcomer.pk, "is_lead": False}]
    assert list(Membership.objects.filter(team=team).values_list("user", flat=True)) == [
        newcomer.pk
    ]


def test_patching_fields_alone_keeps_the_members(as_user, admin_user, agent, team):
    response = as_user(admin_user).patch(
        detail_url(team), {"email": "x@example.com"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["members"] == [{"user": agent.pk, "is_lead": False}]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "Service Desk"}, {"name": ["team with this name already exists."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": "n" * 101}, {"name": ["Ensure this field has no more than 100 characters."]}),
        ({"name": "X", "kind": "circus"}, {"kind": ['"circus" is not a valid choice.']}),
        ({"name": "X", "email": "nope"}, {"email": ["Enter a valid email address."]}),
        ({"name": "X", "members": [{"user": 999999}]}, {"members.0.user": [no_such(999999)]}),
        (
            {"name": "X", "members": [{"user": True}]},
            {"members.0.user": ["Incorrect type. Expected pk value, received bool."]},
        ),
        (
            {"name": "X", "members": ["alice"]},
            {"members.0.non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
        ),
        (
            {"name": "X", "members": [{"is_lead": "maybe"}]},
            {
                "members.0.user": ["This field is required."],
                "members.0.is_lead": ["Must be a valid boolean."],
            },
        ),
        ({"name": "X", "leader": 1}, {"leader": ["Unknown field."]}),
    ],
)
def test_bad_team_input_creates_nothing(as_user, admin_user, team, body, errors):
    before = snapshot()

    response = as_user(admin_user).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_a_member_listed_twice_is_refused(as_user, admin_user, agent, team):
    before = snapshot()
    body = {"members": [{"user": agent.pk}, {"user": agent.pk, "is_lead": True}]}

    response = as_user(admin_user).patch(detail_url(team), body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid({"members": ["Each user may appear only once."]})
    assert snapshot() == before


@pytest.mark.parametrize(
    ("members", "errors"),
    [
        ([{}], {"members.0.user": ["This field is required."]}),
        ([{"is_lead": True}], {"members.0.user": ["This field is required."]}),
        (None, {"members": ["This field may not be null."]}),
        (
            "everyone",
            {"members.non_field_errors": ['Expected a list of items but got type "str".']},
        ),
    ],
)
def test_a_patch_validates_each_member_in_full(as_user, admin_user, agent, team, members, errors):
    before = snapshot()

    response = as_user(admin_user).patch(detail_url(team), {"members": members}, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_renaming_a_team_to_a_taken_name_is_refused(as_user, admin_user, team, other_team):
    before = snapshot()

    response = as_user(admin_user).patch(detail_url(team), {"name": "Network"}, format="json")

    assert response.status_code == 400
    assert response.json() == invalid({"name": ["team with this name already exists."]})
    assert snapshot() == before


def test_users_removed_from_a_team_are_still_users(as_user, admin_user, agent, team):
    as_user(admin_user).patch(detail_url(team), {"members": []}, format="json")

    assert User.objects.filter(pk=agent.pk).exists()
    assert not Membership.objects.filter(team=team).exists()
