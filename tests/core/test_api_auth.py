"""POST /api/v1/auth/token/ and GET/PATCH /api/v1/me/: tokens, sessions and one's own profile."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from servicedesk.core.models import User
from tests.factories import make_end_user

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
PASSWORD = "pass-word-123"


def invalid(errors: dict, detail: str = "Some fields are not valid.") -> dict:
    return {"status": 400, "code": "invalid", "detail": detail, "errors": errors}


# --- token ------------------------------------------------------------------------------


def test_a_username_and_password_get_the_users_token(api_client, agent):
    response = api_client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=agent).key}


def test_asking_twice_gives_the_same_token(api_client, agent):
    first = api_client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}).json()
    second = api_client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}).json()

    assert first == second
    assert Token.objects.count() == 1


def test_the_token_authenticates_api_calls(api_client, agent):
    key = api_client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}).json()["token"]

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"username": "alice", "password": "wrong"},
            {"non_field_errors": ["Unable to sign in with these credentials."]},
        ),
        (
            {"username": "nobody", "password": PASSWORD},
            {"non_field_errors": ["Unable to sign in with these credentials."]},
        ),
        (
            {},
            {
                "username": ["This field is required."],
                "password": ["This field is required."],
            },
        ),
        ({"username": "alice"}, {"password": ["This field is required."]}),
        (
            {"username": "", "password": ""},
            {
                "username": ["This field may not be blank."],
                "password": ["This field may not be blank."],
            },
        ),
        (
            {"username": ["alice"], "password": {"p": 1}},
            {"username": ["Not a valid string."], "password": ["Not a valid string."]},
        ),
        (
            {"username": "alice", "password": PASSWORD, "scope": "admin"},
            {"scope": ["Unknown field."]},
        ),
        (
            {"username": "al\x00ice", "password": PASSWORD},
            {"username": ["Null characters are not allowed."]},
        ),
        (
            {"username": "a" * 151, "password": PASSWORD},
            {"username": ["Ensure this field has no more than 150 characters."]},
        ),
    ],
)
def test_bad_credentials_or_input_get_400_and_no_token(api_client, agent, body, errors):
    response = api_client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    only_non_field = set(errors) == {"non_field_errors"}
    detail = errors["non_field_errors"][0] if only_non_field else "Some fields are not valid."
    assert response.json() == invalid(errors, detail)
    assert Token.objects.count() == 0


def test_an_inactive_user_gets_no_token(api_client, agent):
    User.objects.filter(pk=agent.pk).update(is_active=False)

    response = api_client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Unable to sign in with these credentials."]
    }


def test_the_token_endpoint_takes_only_json(api_client, agent):
    response = api_client.post(
        TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="multipart"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_the_token_endpoint_is_throttled(api_client, agent, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token-obtain": "2/minute"})
    cache.clear()
    body = {"username": "alice", "password": "wrong"}

    statuses = [api_client.post(TOKEN_URL, body).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
    response = api_client.post(TOKEN_URL, body)
    assert response.json() == {
        "status": 429,
        "code": "throttled",
        "detail": response.json()["detail"],
        "errors": {},
    }
    assert response.json()["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_a_wrong_token_is_401(api_client, agent):
    response = api_client.get(ME_URL, HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "authentication_failed",
        "detail": "Invalid token.",
        "errors": {},
    }


# --- session ------------------------------------------------------------------------------


def test_a_session_signed_in_in_the_browser_works_for_the_api(agent):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password=PASSWORD)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_a_session_write_without_the_csrf_token_is_refused(agent):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password=PASSWORD)

    response = client.patch(ME_URL, {"is_away": True}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "detail": "CSRF Failed: CSRF cookie not set.",
        "errors": {},
    }
    agent.refresh_from_db()
    assert agent.is_away is False


# --- me -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_needs_a_signed_in_user(api_client, db, method):
    response = getattr(api_client, method)(ME_URL, {}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "status": 401,
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }


def test_me_shows_an_end_users_profile(as_user, db):
    user = make_end_user(username="erin", first_name="Erin", last_name="Ek", phone="+33 1 23")

    response = as_user(user).get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "erin",
        "email": "erin@example.com",
        "first_name": "Erin",
        "last_name": "Ek",
        "display_name": "Erin Ek",
        "time_zone": "UTC",
        "is_away": False,
        "phone": "+33 1 23",
        "roles": ["end_user"],
        "teams": [],
        "is_agent": False,
        "is_admin": False,
    }


def test_me_shows_an_agents_roles_and_teams(as_user, lead, other_team):
    lead.memberships.create(team=other_team)

    body = as_user(lead).get(ME_URL).json()

    assert body["roles"] == ["agent", "team_lead"]
    assert body["teams"] == [
        {"id": other_team.pk, "name": "Network", "kind": "support", "is_lead": False},
        {
            "id": lead.teams.get(name="Service Desk").pk,
            "name": "Service Desk",
            "kind": "support",
            "is_lead": True,
        },
    ]
    assert (body["is_agent"], body["is_admin"]) == (True, False)


def test_me_tells_an_admin_they_are_one(as_user, admin_user):
    body = as_user(admin_user).get(ME_URL).json()

    assert (body["roles"], body["is_agent"], body["is_admin"]) == (["admin"], True, True)


def test_me_costs_a_fixed_number_of_queries(as_user, lead, django_assert_num_queries):
    client = as_user(lead)
    # user with groups and memberships (3), then permissions: own and through groups (2)
    with django_assert_num_queries(5):
        assert client.get(ME_URL).status_code == 200


def test_a_user_changes_their_own_contact_details(as_user, agent):
    body = {
        "first_name": "Alice",
        "last_name": "Liddell",
        "email": "alice@example.org",
        "time_zone": "Europe/Paris",
        "is_away": True,
        "phone": "+33 6 00",
    }

    response = as_user(agent).patch(ME_URL, body, format="json")

    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == body
    assert response.json()["display_name"] == "Alice Liddell"
    agent.refresh_from_db()
    assert (agent.email, agent.time_zone, agent.is_away, agent.phone) == (
        "alice@example.org",
        "Europe/Paris",
        True,
        "+33 6 00",
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"username": "root"}, {"username": ["This field is read-only."]}),
        ({"roles": ["admin"]}, {"roles": ["This field is read-only."]}),
        ({"is_agent": True}, {"is_agent": ["This field is read-only."]}),
        ({"teams": []}, {"teams": ["This field is read-only."]}),
        ({"id": 1}, {"id": ["This field is read-only."]}),
        ({"is_active": False}, {"is_active": ["Unknown field."]}),
        ({"is_staff": True}, {"is_staff": ["Unknown field."]}),
        ({"password": "new-pass-word-1"}, {"password": ["Unknown field."]}),
        ({"manager": 1}, {"manager": ["Unknown field."]}),
        ({"time_zone": "Mars/Base"}, {"time_zone": ["Mars/Base is not a known time zone."]}),
        ({"time_zone": ""}, {"time_zone": ["This field may not be blank."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"is_away": "sometimes"}, {"is_away": ["Must be a valid boolean."]}),
        ({"phone": "1" * 41}, {"phone": ["Ensure this field has no more than 40 characters."]}),
        ({"first_name": None}, {"first_name": ["This field may not be null."]}),
        (
            {"first_name": "Al", "is_superuser": True},
            {"is_superuser": ["Unknown field."]},
        ),
        (
            {"last_name": "x\x00y", "username": "x"},
            {
                "last_name": ["Null characters are not allowed."],
                "username": ["This field is read-only."],
            },
        ),
    ],
)
def test_me_refuses_other_fields_and_bad_values_and_changes_nothing(as_user, agent, body, errors):
    before = User.objects.values().get(pk=agent.pk)

    response = as_user(agent).patch(ME_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert User.objects.values().get(pk=agent.pk) == before


@pytest.mark.parametrize(
    "body",
    [[], ["first_name"], "first_name", 42, True],
)
def test_me_refuses_a_body_that_is_not_an_object(as_user, agent, body):
    response = as_user(agent).patch(ME_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["non_field_errors"]
    assert response.json()["errors"]["non_field_errors"][0].startswith(
        "Invalid data. Expected a dictionary, but got"
    )
