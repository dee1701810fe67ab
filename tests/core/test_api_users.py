"""/api/v1/users/: admins create people, give them roles and teams, and deactivate them."""

import pytest
from rest_framework.test import APIClient

from servicedesk.core.models import Membership, User
from tests.factories import UserFactory, make_agent, make_end_user

URL = "/api/v1/users/"
# permissions of the caller (own and through groups), count, page, groups, memberships
LIST_QUERIES = 6


def detail_url(user: User) -> str:
    return f"{URL}{user.pk}/"


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
    """Everything a user write could change."""
    return [
        list(User.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values("team_id", "user_id", "is_lead")),
        list(User.groups.through.objects.order_by("pk").values("user_id", "group_id")),
    ]


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "list", None),
        ("post", "list", {"username": "newbie"}),
        ("get", "detail", None),
        ("patch", "detail", {"is_away": True}),
    ],
)
@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("end_user", 403), ("agent", 403), ("lead", 403)],
)
def test_only_admins_manage_users(request, as_user, end_user, method, path, body, who, expected):
    caller = None if who == "anonymous" else request.getfixturevalue(who)
    url = URL if path == "list" else detail_url(end_user)
    before = snapshot()

    response = getattr(as_user(caller), method)(url, body, format="json")

    assert response.status_code == expected
    assert response.json()["code"] == (
        "not_authenticated" if expected == 401 else "permission_denied"
    )
    assert snapshot() == before


@pytest.mark.parametrize("method", ["delete", "put"])
def test_users_are_never_deleted_or_replaced(as_user, admin_user, end_user, method):
    response = getattr(as_user(admin_user), method)(detail_url(end_user), {}, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "status": 405,
        "code": "method_not_allowed",
        "detail": f'Method "{method.upper()}" not allowed.',
        "errors": {},
    }
    assert User.objects.filter(pk=end_user.pk).exists()


# --- reading -----------------------------------------------------------------------------


def test_an_admin_reads_a_user_with_roles_and_teams(as_user, admin_user, lead, team):
    manager = UserFactory(username="boss")
    User.objects.filter(pk=lead.pk).update(manager=manager, phone="123", is_away=True)

    response = as_user(admin_user).get(detail_url(lead))

    assert response.status_code == 200
    assert response.json() == {
        "id": lead.pk,
        "username": "lena",
        "email": "lena@example.com",
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "time_zone": "UTC",
        "manager": manager.pk,
        "is_active": True,
        "is_away": True,
        "phone": "123",
        "roles": ["agent", "team_lead"],
        "teams": [{"team": team.pk, "is_lead": True}],
    }


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("999999/", "No User matches the given query."),
        ("0/", "No User matches the given query."),
        # Longer than any id can be: no route takes it.
        ("99999999999999999999999/", "Not found."),
    ],
)
def test_an_unknown_user_is_404(as_user, admin_user, path, detail):
    response = as_user(admin_user).get(URL + path)

    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": detail, "errors": {}}


def test_a_non_numeric_id_is_a_json_404(as_user, admin_user):
    response = as_user(admin_user).get(URL + "abc/")

    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Not found.",
        "errors": {},
    }


@pytest.mark.parametrize("extra", [2, 12])
def test_the_user_list_costs_the_same_queries_whatever_its_length(
    list_queries, admin_user, team, other_team, extra
):
    for n in range(extra):
        make_agent(team if n % 2 else other_team, lead=n % 3 == 0, username=f"agent{n}")

    body = list_queries(admin_user, URL, LIST_QUERIES)

    assert body["count"] == extra + 1
    assert len(body["results"]) == extra + 1


@pytest.mark.parametrize("extra", [3, 30])
def test_a_filtered_user_list_costs_one_more_query_for_the_team(
    list_queries, admin_user, team, extra
):
    for n in range(extra):
        make_agent(team, username=f"agent{n}")

    body = list_queries(admin_user, f"{URL}?team={team.pk}&role=agent&is_active=true", 7)

    assert body["count"] == extra


@pytest.fixture
def people(admin_user, team, other_team):
    User.objects.filter(pk=admin_user.pk).update(first_name="Adam", last_name="Admin")
    return {
        "alice": make_agent(team, username="alice", first_name="Alice", last_name="Archer"),
        "bob": make_agent(other_team, username="bob", first_name="Bob", last_name="Baker"),
        "carol": make_end_user(
            username="carol", first_name="Carol", last_name="Cole", email="cc@corp.example"
        ),
        "dave": make_end_user(
            username="dave", first_name="Dave", last_name="Dunn", is_active=False
        ),
    }


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["username"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["adam", "alice", "bob", "carol", "dave"]),
        ("?role=agent", ["alice", "bob"]),
        ("?role=end_user", ["carol", "dave"]),
        ("?role=admin", ["adam"]),
        ("?role=cab_member", []),
        ("?is_active=false", ["dave"]),
        ("?is_active=true&role=end_user", ["carol"]),
        ("?search=ARCH", ["alice"]),
        ("?search=corp.example", ["carol"]),
        ("?search=bo", ["bob"]),
        ("?ordering=-username", ["dave", "carol", "bob", "alice", "adam"]),
        ("?ordering=first_name&role=agent", ["alice", "bob"]),
        ("?page_size=2", ["adam", "alice"]),
        ("?page_size=2&page=3", ["dave"]),
    ],
)
def test_users_are_filtered_searched_and_ordered(as_user, admin_user, people, query, expected):
    assert usernames(as_user(admin_user).get(URL + query)) == expected


def test_users_are_filtered_by_team(as_user, admin_user, people, team):
    assert usernames(as_user(admin_user).get(f"{URL}?team={team.pk}")) == ["alice"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?role=wizard", {"role": [not_a_choice("wizard")]}),
        ("?team=abc", {"team": [not_a_choice()]}),
        ("?team=99999999999999999999", {"team": [not_a_choice()]}),
        ("?ordering=password", {"ordering": [not_a_choice("password")]}),
        ("?search=%00", {"search": ["Null characters are not allowed."]}),
        (
            "?search=" + "x" * 101,
            {"search": ["Ensure this value has at most 100 characters (it has 101)."]},
        ),
    ],
)
def test_bad_filters_are_400_with_field_errors(as_user, admin_user, query, errors):
    response = as_user(admin_user).get(URL + query)

    assert response.status_code == 400
    assert response.json() == invalid(errors)


@pytest.mark.parametrize("query", ["?page=0", "?page=abc", "?page=99999999999999999999"])
def test_a_page_that_does_not_exist_is_404(as_user, admin_user, query):
    response = as_user(admin_user).get(URL + query)

    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Invalid page.",
        "errors": {},
    }


@pytest.mark.parametrize("page_size", ["1000", "-1", "abc", "0", "99999999999999999999"])
def test_absurd_page_sizes_fall_back_to_a_bounded_page(as_user, admin_user, page_size):
    for n in range(3):
        UserFactory(username=f"user-{n}")

    response = as_user(admin_user).get(f"{URL}?page_size={page_size}")

    assert response.status_code == 200
    assert response.json()["count"] == 4


def test_the_page_size_is_at_most_100(as_user, admin_user):
    User.objects.bulk_create(User(username=f"bulk{n:03d}") for n in range(105))

    body = as_user(admin_user).get(f"{URL}?page_size=1000").json()

    assert (body["count"], len(body["results"])) == (106, 100)


# --- creating ---------------------------------------------------------------------------


def test_an_admin_creates_a_user_with_roles_teams_and_a_password(
    as_user, admin_user, team, other_team
):
    body = {
        "username": "nina",
        "email": "nina@example.com",
        "first_name": "Nina",
        "last_name": "North",
        "time_zone": "Europe/Berlin",
        "manager": admin_user.pk,
        "is_away": True,
        "phone": "+49 30 1",
        "roles": ["agent", "change_manager"],
        "teams": [{"team": team.pk, "is_lead": True}, {"team": other_team.pk}],
        "password": "a-Long-enough-secret-42",
    }

    response = as_user(admin_user).post(URL, body, format="json")

    assert response.status_code == 201
    nina = User.objects.get(username="nina")
    assert response.json() == {
        "id": nina.pk,
        "username": "nina",
        "email": "nina@example.com",
        "first_name": "Nina",
        "last_name": "North",
        "time_zone": "Europe/Berlin",
        "manager": admin_user.pk,
        "is_active": True,
        "is_away": True,
        "phone": "+49 30 1",
        # leading a team implies the team lead role
        "roles": ["agent", "team_lead", "change_manager"],
        "teams": [
            {"team": other_team.pk, "is_lead": False},
            {"team": team.pk, "is_lead": True},
        ],
    }
    assert nina.check_password("a-Long-enough-secret-42")
    assert nina.is_staff is False
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": "nina", "password": "a-Long-enough-secret-42"}
    )
    assert token.status_code == 200


def test_a_user_created_with_only_a_username_is_an_end_user_without_a_password(as_user, admin_user):
    response = as_user(admin_user).post(URL, {"username": "olga"}, format="json")

    assert response.status_code == 201
    assert response.json()["roles"] == ["end_user"]
    assert response.json()["teams"] == []
    olga = User.objects.get(username="olga")
    assert olga.has_usable_password() is False
    assert "password" not in response.json()


def test_an_admin_created_through_the_api_gets_staff_access(as_user, admin_user):
    as_user(admin_user).post(URL, {"username": "root2", "roles": ["admin"]}, format="json")

    assert User.objects.get(username="root2").is_staff is True


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"username": ["This field is required."]}),
        ({"username": "adam"}, {"username": ["A user with that username already exists."]}),
        (
            {"username": "bad name!"},
            {
                "username": [
                    "Enter a valid username. This value may contain only letters, numbers, "
                    "and @/./+/-/_ characters."
                ]
            },
        ),
        (
            {"username": "u" * 151},
            {"username": ["Ensure this field has no more than 150 characters."]},
        ),
        ({"username": "x", "email": "nope"}, {"email": ["Enter a valid email address."]}),
        (
            {"username": "x", "time_zone": "Mars/Base"},
            {"time_zone": ["Mars/Base is not a known time zone."]},
        ),
        ({"username": "x", "roles": ["wizard"]}, {"roles.0": ['"wizard" is not a valid choice.']}),
        (
            {"username": "x", "roles": "agent"},
            {"roles": ['Expected a list of items but got type "str".']},
        ),
        ({"username": "x", "teams": [{"team": 999999}]}, {"teams.0.team": [no_such(999999)]}),
        (
            {"username": "x", "teams": [{"team": "abc"}]},
            {"teams.0.team": ["Incorrect type. Expected pk value, received str."]},
        ),
        ({"username": "x", "teams": [{}]}, {"teams.0.team": ["This field is required."]}),
        (
            {"username": "x", "teams": [{"team": 999999, "lead": True}]},
            {"teams.0.team": [no_such(999999)], "teams.0.lead": ["Unknown field."]},
        ),
        (
            {"username": "x", "teams": {"team": 999999}},
            {"teams.non_field_errors": ['Expected a list of items but got type "dict".']},
        ),
        ({"username": "x", "manager": 999999}, {"manager": [no_such(999999)]}),
        (
            {"username": "x", "password": "123"},
            {
                "password": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is too common.",
                    "This password is entirely numeric.",
                ]
            },
        ),
        ({"username": "x", "is_staff": True}, {"is_staff": ["Unknown field."]}),
        ({"username": "x", "id": 5}, {"id": ["This field is read-only."]}),
        ({"username": "x", "is_active": "perhaps"}, {"is_active": ["Must be a valid boolean."]}),
    ],
)
def test_bad_input_creates_nobody(as_user, admin_user, body, errors):
    before = snapshot()

    response = as_user(admin_user).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_a_team_listed_twice_is_refused(as_user, admin_user, team):
    body = {"username": "x", "teams": [{"team": team.pk}, {"team": team.pk, "is_lead": True}]}

    response = as_user(admin_user).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid({"teams": ["Each team may appear only once."]})
    assert not User.objects.filter(username="x").exists()


def test_a_password_like_the_username_is_refused(as_user, admin_user):
    body = {"username": "margaret.hamilton", "password": "margaret.hamilton"}

    response = as_user(admin_user).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(
        {"password": ["The password is too similar to the username."]}
    )


# --- changing ---------------------------------------------------------------------------


def test_an_admin_changes_roles_and_teams_and_deactivates_a_user(
    as_user, admin_user, agent, team, other_team
):
    body = {
        "roles": ["change_manager"],
        "teams": [{"team": other_team.pk, "is_lead": False}],
        "is_active": False,
        "phone": "555",
    }

    response = as_user(admin_user).patch(detail_url(agent), body, format="json")

    assert response.status_code == 200
    # membership of a support team implies the agent role
    assert response.json()["roles"] == ["agent", "change_manager"]
    assert response.json()["teams"] == [{"team": other_team.pk, "is_lead": False}]
    assert (response.json()["is_active"], response.json()["phone"]) == (False, "555")
    assert list(Membership.objects.filter(user=agent).values_list("team", flat=True)) == [
        other_team.pk
    ]


def test_an_admin_sets_a_new_password(as_user, admin_user, agent):
    response = as_user(admin_user).patch(
        detail_url(agent), {"password": "Another-good-one-77"}, format="json"
    )

    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.check_password("Another-good-one-77")


def test_an_empty_patch_changes_nothing(as_user, admin_user, agent):
    before = snapshot()

    response = as_user(admin_user).patch(detail_url(agent), {}, format="json")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"username": "alice2"}, {"username": ["This field cannot be changed once set."]}),
        ({"roles": ["agent", "wizard"]}, {"roles.1": ['"wizard" is not a valid choice.']}),
        ({"teams": [{"team": None}]}, {"teams.0.team": ["This field may not be null."]}),
        # a PATCH skips missing fields, but never inside one of the teams
        ({"teams": [{}]}, {"teams.0.team": ["This field is required."]}),
        (
            {"teams": [{"is_lead": True}, {"x": 1}]},
            {
                "teams.0.team": ["This field is required."],
                "teams.1.team": ["This field is required."],
                "teams.1.x": ["Unknown field."],
            },
        ),
        ({"teams": None}, {"teams": ["This field may not be null."]}),
        ({"roles": None}, {"roles": ["This field may not be null."]}),
        ({"password": "password"}, {"password": ["This password is too common."]}),
        (
            {"time_zone": "Europe/Nowhere"},
            {"time_zone": ["Europe/Nowhere is not a known time zone."]},
        ),
        ({"manager": "me"}, {"manager": ["Incorrect type. Expected pk value, received str."]}),
        (
            {"is_superuser": True, "email": "x"},
            {"is_superuser": ["Unknown field."], "email": ["Enter a valid email address."]},
        ),
    ],
)
def test_bad_changes_change_nothing(as_user, admin_user, agent, body, errors):
    before = snapshot()

    response = as_user(admin_user).patch(detail_url(agent), body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_a_user_cannot_be_their_own_manager(as_user, admin_user, agent):
    before = snapshot()

    response = as_user(admin_user).patch(detail_url(agent), {"manager": agent.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == invalid({"manager": ["Nobody is their own manager."]})
    assert snapshot() == before
