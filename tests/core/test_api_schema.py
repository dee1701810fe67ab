"""The OpenAPI schema, its docs page, and a fuzz run of the API generated from the schema."""

from datetime import timedelta

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from changes import services as change_services
from changes.models import Change, FreezePeriod, StandardChangeTemplate
from incidents.models import Incident
from notifications import services as notification_services
from notifications.models import InAppNotification, OutboxEvent, WebhookSubscription
from problems import services as problem_services
from problems.models import Problem
from service_requests.models import CatalogItem, FulfilmentTask, ServiceRequest
from servicedesk.core import services
from servicedesk.core.models import (
    Attachment,
    BusinessCalendar,
    CannedReply,
    CIRelationship,
    ConfigurationItem,
    Service,
    SLAPolicy,
    Team,
    Ticket,
    User,
)
from servicedesk.wsgi import application
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    make_admin,
    make_agent,
    make_calendar,
    make_end_user,
    make_incident,
    make_sla_policy,
)
from tests.service_requests.factories import make_item, order

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def test_the_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning into an error
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))

    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3.0.3")


@pytest.fixture
def openapi(api_client, db) -> dict:
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_lists_the_core_endpoints(openapi):
    assert set(openapi["paths"]) >= {
        "/api/v1/auth/token/",
        "/api/v1/configuration-items/",
        "/api/v1/configuration-items/{id}/",
        "/api/v1/me/",
        "/api/v1/services/",
        "/api/v1/services/{id}/",
        "/api/v1/teams/",
        "/api/v1/teams/{id}/",
        "/api/v1/users/",
        "/api/v1/users/{id}/",
    }
    assert sorted(openapi["paths"]["/api/v1/users/{id}/"]) == ["get", "patch"]


def test_the_schema_documents_the_error_shape(openapi):
    assert openapi["components"]["schemas"]["Error"]["required"] == [
        "code",
        "detail",
        "errors",
        "status",
    ]
    users = openapi["paths"]["/api/v1/users/"]
    assert sorted(users["post"]["responses"]) == ["201", "400", "401", "403", "413", "415", "429"]
    assert sorted(users["get"]["responses"]) == ["200", "400", "401", "403", "404", "429"]
    assert users["post"]["responses"]["400"]["content"]["application/json"]["schema"] == ERROR_REF
    token = openapi["paths"]["/api/v1/auth/token/"]["post"]
    assert sorted(token["responses"]) == ["200", "400", "413", "415", "429"]
    assert "security" not in token  # no credentials needed to get a token


def test_the_docs_page_serves_swagger_ui_from_the_site_itself(api_client, db):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    assert "unpkg" not in page


# --- fuzzing ---------------------------------------------------------------------------------

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
FUZZER = "fuzzer"
MODELS = {
    "users": User.objects.exclude(username=FUZZER),  # the caller stays an active admin
    "teams": Team.objects.all(),
    "services": Service.objects.all(),
    "configuration-items": ConfigurationItem.objects.all(),
    "incidents": Incident.objects.all(),
    "problems": Problem.objects.all(),
    "requests": ServiceRequest.objects.all(),
    "catalog-items": CatalogItem.objects.all(),
    "fulfilment-tasks": FulfilmentTask.objects.all(),
    "tickets": Ticket.objects.all(),
    "webhooks": WebhookSubscription.objects.all(),
    "notifications": InAppNotification.objects.all(),
    "canned-replies": CannedReply.objects.all(),
    "attachments": Attachment.objects.all(),
    "changes": Change.objects.all(),
    "freeze-periods": FreezePeriod.objects.all(),
    "standard-changes": StandardChangeTemplate.objects.all(),
    "business-calendars": BusinessCalendar.objects.all(),
    "sla-policies": SLAPolicy.objects.all(),
}


def point_at_existing_row(case: schemathesis.Case) -> None:
    """Send numeric ids to rows that exist, so that changes reach real objects, not a 404."""
    value = (case.path_parameters or {}).get("id")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        queryset = MODELS[case.path.split("/")[3]]
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        case.path_parameters["id"] = str(ids[int(value) % len(ids)])


@pytest.fixture
def in_process_requests(db):
    """Keep the test's connection open across WSGI calls, as Django's own test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(in_process_requests, settings, tmp_path) -> str:
    """A token of an admin, and a little of everything for the generated requests to hit."""
    settings.MEDIA_ROOT = tmp_path
    support = TeamFactory(name="Support")
    TeamFactory(name="CAB", kind="cab")
    make_agent(support, lead=True, username="lead")
    make_end_user(username="someone")
    service = ServiceFactory(name="Email", owner_team=support)
    server, app = ConfigurationItemFactory(name="srv"), ConfigurationItemFactory(name="app")
    app.services.set([service])
    CIRelationship.objects.create(source=app, kind="runs_on", target=server)
    CannedReply.objects.create(title="Thanks", body="Hello {requester_name}, {__class__}")
    make_sla_policy(calendar=make_calendar(), rules=[("resolution", 100, "notify_team_lead")])
    incident = make_incident(assignment_group=support, service=service, configuration_items=[app])
    lead = User.objects.get(username="lead")
    problem_services.problem_create(by=lead, title="Mail keeps failing", incidents=[incident])
    # A catalog item needing no approval: its order is fulfilling, with a task to work.
    laptop = make_item(owner_team=support, name="Laptop", tasks=[("Prepare", support)])
    order(laptop, User.objects.get(username="someone"))
    change = change_services.change_create(
        by=lead, title="Renew the mail certificate", service=service, configuration_items=[app]
    )
    FreezePeriod.objects.create(
        name="Year end", start=change.created_at, end=change.created_at + timedelta(days=3)
    )
    StandardChangeTemplate.objects.create(
        name="Restart a server",
        implementation_plan="Restart",
        backout_plan="None needed",
        test_plan="Ping it",
        duration=timedelta(minutes=30),
    )
    services.attachment_add(
        ticket=incident,
        by=incident.requester,
        upload=SimpleUploadedFile("notes.txt", b"fuzz me", content_type="text/plain"),
    )
    notification_services.webhook_subscription_create(
        by=None, name="Fuzz", url="https://hooks.example.com/desk", event_types=["*"]
    )
    fuzzer = make_admin(username=FUZZER)
    InAppNotification.objects.create(
        user=fuzzer, event=OutboxEvent.objects.order_by("pk").first(), title="Fuzz me"
    )
    return Token.objects.create(user=fuzzer).key


# The WSGI test transport never closes streamed downloads; real servers do.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_makes_the_server_fail(case, admin_token):
    point_at_existing_row(case)
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"}, checks=[not_a_server_error]
    )


# --- answers conform to the schema, whoever asks ------------------------------------------


def answer_conforms(
    path: str,
    user: User,
    *,
    method: str = "GET",
    status: int = 200,
    path_parameters: dict | None = None,
    body: dict | None = None,
) -> dict:
    """Call ``path`` as ``user`` and check the answer against the schema; return its body."""
    given = {"path_parameters": path_parameters, "body": body}
    case = schema[path][method].Case(**{k: v for k, v in given.items() if v is not None})
    token = Token.objects.get_or_create(user=user)[0].key
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code == status, response.text
    case.validate_response(
        response,
        checks=[response_schema_conformance, status_code_conformance, content_type_conformance],
    )
    return response.json()


@pytest.mark.parametrize("path", ["/api/v1/incidents/", "/api/v1/requests/", "/api/v1/tickets/"])
def test_an_end_users_tickets_conform_to_the_schema_without_the_agents_fields(
    in_process_requests, path
):
    # The schema shows the agents' representation; an end user's lacks their fields.
    support = TeamFactory(name="Support")
    requester = make_end_user(username="eve")
    make_incident(requester=requester, assignment_group=support)
    order(make_item(owner_team=support, name="Laptop"), requester)

    body = answer_conforms(path, requester)

    assert body["count"] >= 1
    assert "priority_override_reason" not in body["results"][0]


@pytest.mark.parametrize(
    ("path", "blank"),
    [
        ("/api/v1/incidents/", "resolution_code"),
        ("/api/v1/incidents/", "on_hold_reason"),
        ("/api/v1/changes/", "outcome"),
    ],
)
def test_blank_choices_conform_to_the_schema(in_process_requests, path, blank):
    support = TeamFactory(name="Support")
    lead = make_agent(support, lead=True, username="lead")
    make_incident(assignment_group=support)
    change_services.change_create(by=lead, title="Renew the mail certificate")

    body = answer_conforms(path, lead)

    assert body["results"][0][blank] == ""


def test_a_transition_is_documented_with_the_ticket_it_answers_and_its_refusals(openapi):
    cancel = openapi["paths"]["/api/v1/incidents/{id}/transitions/cancel/"]["post"]

    assert cancel["operationId"] == "incident_transition_cancel"
    assert cancel["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Incident"
    }
    assert {"409", "412"} <= set(cancel["responses"])
    assert "If-Match" in [p["name"] for p in cancel["parameters"]]


@pytest.mark.parametrize(
    ("transition", "body", "status"),
    [("cancel", {"reason": "Logged twice"}, 200), ("close", None, 409), ("resume", None, 409)],
)
def test_transition_answers_conform_to_the_schema(in_process_requests, transition, body, status):
    support = TeamFactory(name="Support")
    lead = make_agent(support, lead=True, username="lead")
    incident = make_incident(assignment_group=support)

    answer = answer_conforms(
        f"/api/v1/incidents/{{id}}/transitions/{transition}/",
        lead,
        method="POST",
        status=status,
        path_parameters={"id": incident.pk},
        body=body,
    )

    assert answer["status"] == ("cancelled" if status == 200 else 409)


def test_a_standard_change_conforms_to_the_schema(in_process_requests):
    # Input refuses "standard" (standard changes come from a template); answers give it.
    support = TeamFactory(name="Support")
    lead = make_agent(support, lead=True, username="lead")
    template = StandardChangeTemplate.objects.create(
        name="Restart a server",
        implementation_plan="Restart",
        backout_plan="None needed",
        test_plan="Ping it",
        duration=timedelta(minutes=30),
    )
    change_services.standard_change_create(
        template=template, by=lead, planned_start=timezone.now() + timedelta(days=1)
    )

    body = answer_conforms("/api/v1/changes/", lead)

    assert body["results"][0]["change_type"] == "standard"


def test_an_end_users_known_errors_conform_to_the_schema(in_process_requests):
    support = TeamFactory(name="Support")
    agent = make_agent(support, username="nora")
    problem = problem_services.problem_create(by=agent, title="VPN drops", assignment_group=support)
    problem = problem_services.problem_investigate(problem=problem, by=agent)
    problem_services.problem_mark_known_error(
        problem=problem, by=agent, root_cause="DPD", workaround="Use TCP 443", publication="public"
    )

    body = answer_conforms("/api/v1/known-errors/", make_end_user(username="eve"))

    assert [r["workaround"] for r in body["results"]] == ["Use TCP 443"]
    assert "root_cause" not in body["results"][0]
