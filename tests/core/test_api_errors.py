"""One JSON error shape for every API error, and a 4xx for any malformed request."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions

from servicedesk.core.api.exceptions import exception_handler, flatten_errors
from servicedesk.core.errors import (
    ApplicationError,
    Conflict,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.core.models import User

ME = "/api/v1/me/"
USERS = "/api/v1/users/"


def body_of(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content
    return json.loads(response.content)


# --- the handler itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "status", "code", "detail", "errors"),
    [
        (ApplicationError(), 400, "invalid", "The request could not be carried out.", {}),
        (
            ValidationFailed(fields={"reason": ["Say why."]}),
            400,
            "invalid",
            "Some fields are not valid.",
            {"reason": ["Say why."]},
        ),
        (
            ValidationFailed(fields={"__all__": ["Nope."]}),
            400,
            "invalid",
            "Some fields are not valid.",
            {"non_field_errors": ["Nope."]},
        ),
        (NotPermitted(), 403, "permission_denied", "You are not allowed to do this.", {}),
        (
            TransitionNotAllowed("“close” is not allowed while the ticket is new."),
            409,
            "transition_not_allowed",
            "“close” is not allowed while the ticket is new.",
            {},
        ),
        (Conflict(), 409, "conflict", "The request conflicts with the current state.", {}),
        (StaleVersion(), 412, "stale_version", "This ticket changed since you opened it.", {}),
        (
            ValidationError({"title": ["Too long."], "__all__": ["Clashes."]}),
            400,
            "invalid",
            "Some fields are not valid.",
            {"title": ["Too long."], "non_field_errors": ["Clashes."]},
        ),
        (
            ValidationError(["One.", "Two."]),
            400,
            "invalid",
            "One.",
            {"non_field_errors": ["One.", "Two."]},
        ),
        (Http404(), 404, "not_found", "Not found.", {}),
        (
            PermissionDenied(),
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
            {},
        ),
        (
            exceptions.NotAcceptable(),
            406,
            "not_acceptable",
            "Could not satisfy the request Accept header.",
            {},
        ),
        (
            exceptions.PermissionDenied({"ticket": ["Not yours."]}),
            403,
            "permission_denied",
            "Some fields are not valid.",
            {"ticket": ["Not yours."]},
        ),
    ],
)
def test_every_error_gets_the_one_shape(exc, status, code, detail, errors):
    response = exception_handler(exc, {})

    assert response.status_code == status
    assert response.data == {"status": status, "code": code, "detail": detail, "errors": errors}


def test_an_unexpected_exception_is_left_to_django():
    assert exception_handler(ValueError("bug"), {}) is None


def test_nested_errors_are_flattened_to_dotted_fields():
    detail = {
        "teams": [{}, {"team": ["Bad pk."], "non_field_errors": ["Odd."]}],
        "roles": {1: ["Bad choice."]},
        "name": ["Required."],
        "non_field_errors": ["Whole thing."],
    }

    assert flatten_errors(detail) == {
        "teams.1.team": ["Bad pk."],
        "teams.1.non_field_errors": ["Odd."],
        "roles.1": ["Bad choice."],
        "name": ["Required."],
        "non_field_errors": ["Whole thing."],
    }


# --- malformed requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "detail_start"),
    [
        (b"{", "JSON parse error - Expecting property name enclosed in double quotes"),
        (b'{"is_away": tru}', "JSON parse error - Expecting value"),
        (b"\xff\xfe", "JSON parse error - 'utf-8' codec can't decode byte 0xff"),
        (b'{"first_name": NaN}', "JSON parse error - Out of range float values are not JSON"),
        (b'{"first_name": "\\ud800"}', "JSON parse error - a string holds an invalid Unicode"),
        (b'{"\\udfff": 1}', "JSON parse error - a string holds an invalid Unicode"),
        (b"[" * 40 + b"]" * 40, "JSON parse error - the document is nested too deeply."),
        (b"[" * 100000 + b"]" * 100000, "JSON parse error - the document is nested too deeply."),
        (b'{"phone": ' + b"9" * 5000 + b"}", "JSON parse error - Exceeds the limit"),
    ],
)
def test_malformed_json_is_400_parse_error(as_user, agent, payload, detail_start):
    before = User.objects.values().get(pk=agent.pk)

    response = as_user(agent).generic("PATCH", ME, payload, content_type="application/json")

    assert response.status_code == 400
    body = body_of(response)
    assert (body["status"], body["code"], body["errors"]) == (400, "parse_error", {})
    assert body["detail"].startswith(detail_start), body["detail"]
    assert User.objects.values().get(pk=agent.pk) == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "",
    ],
)
def test_a_body_that_is_not_json_is_415(as_user, agent, content_type):
    response = as_user(agent).generic("PATCH", ME, b"is_away=1", content_type=content_type)

    assert response.status_code == 415
    body = body_of(response)
    assert (body["status"], body["code"], body["errors"]) == (415, "unsupported_media_type", {})
    assert body["detail"].startswith("Unsupported media type")


def test_an_oversized_body_is_413(as_user, agent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    payload = json.dumps({"first_name": "x" * 200}).encode()

    response = as_user(agent).generic("PATCH", ME, payload, content_type="application/json")

    assert response.status_code == 413
    assert body_of(response) == {
        "status": 413,
        "code": "request_too_large",
        "detail": "The request body is too large.",
        "errors": {},
    }


def test_an_unacceptable_accept_header_is_406(as_user, agent):
    response = as_user(agent).get(ME, HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert body_of(response)["code"] == "not_acceptable"


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/v1/",
        "/api/v1/nothing/",
        "/api/v2/users/",
        "/api/v1/users/1/extra/",
        # A line break in the path (a percent-encoded one reaches the URL resolver as such).
        "/api/v1/business-calendars/%C3%96%0A/",
        "/api/v1/%0A/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_are_a_json_404(as_user, admin_user, path, method):
    response = getattr(as_user(admin_user), method)(path)

    assert response.status_code == 404
    assert body_of(response) == {
        "status": 404,
        "code": "not_found",
        "detail": "Not found.",
        "errors": {},
    }


def test_an_api_path_without_its_slash_is_redirected_to_it(as_user, admin_user):
    response = as_user(admin_user).get("/api/v1/users")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/users/"


@pytest.mark.parametrize(
    "query",
    [
        "?page_size=%00",
        "?ordering=%00",
        "?ordering=,,,",
        "?is_active=%00",
        "?role=%F0%9F%92%A9",
        "?search=%ED%A0%80",
        "?search=" + "%25" * 50,
        "?team=-0",
        "?team=%00",
        "?unknown=1&page_size=1",
        "?page_size=1&page_size=2",
        "?is_active=maybe",
    ],
)
def test_absurd_query_strings_never_cause_a_server_error(as_user, admin_user, query):
    response = as_user(admin_user).get(USERS + query)

    assert response.status_code in (200, 400, 404)
    body = body_of(response)
    if response.status_code != 200:
        assert set(body) == {"status", "code", "detail", "errors"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/me/", 200),
        ("/api/v1/users/", 200),
        ("/api/v1/users/{admin}/", 200),
        ("/api/v1/teams/", 200),
        ("/api/v1/services/", 200),
        ("/api/v1/configuration-items/", 200),
        ("/api/v1/auth/token/", 405),
        ("/api/v1/nothing/", 404),
    ],
)
def test_the_browsable_api_renders_for_a_signed_in_admin(client, admin_user, path, status):
    client.force_login(admin_user)

    response = client.get(path.format(admin=admin_user.pk), HTTP_ACCEPT="text/html")

    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_an_id_beyond_any_database_integer_in_a_body_is_400(api_as, agent, team):
    from tests.factories import make_incident

    incident = make_incident(assignment_group=team)
    response = api_as(agent).patch(
        f"/api/v1/incidents/{incident.pk}/", {"problem": 10**30}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] in {"out_of_range", "invalid"}
    incident.refresh_from_db()
    assert incident.related_problem_id is None
