"""The request, fulfilment task and catalog API: scoping, ordering, decisions, tasks, counts."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from service_requests import services
from service_requests.models import CatalogItem, FulfilmentTask, ServiceRequest
from servicedesk.core.errors import NotPermitted
from servicedesk.core.models import Ticket
from tests.factories import ConfigurationItemFactory, ServiceFactory, make_admin, make_end_user
from tests.service_requests.factories import make_category, make_item, order, tasks_of

URL = "/api/v1/requests/"
TASKS = "/api/v1/fulfilment-tasks/"
ITEMS = "/api/v1/catalog-items/"


def url(service_request, suffix=""):
    return f"{URL}{service_request.pk}/{suffix}"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# --- reading -------------------------------------------------------------------------------


def test_the_representation_holds_the_contract_and_the_order(api_as, agent, laptop, requester):
    service_request = order(laptop, requester, answers={"laptop_model": "16", "reason": "Old"})
    response = api_as(agent).get(url(service_request))
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    body = response.json()
    assert {
        "id",
        "number",
        "status",
        "priority",
        "impact",
        "urgency",
        "created_at",
        "updated_at",
        "version",
        "response_due_at",
        "resolution_due_at",
        "sla_state",
        "assignment_group",
    } <= set(body)
    assert (body["number"], body["status"], body["status_label"]) == (
        "REQ0000001",
        "awaiting_approval",
        "Awaiting approval",
    )
    assert (body["catalog_item"], body["catalog_item_name"]) == (laptop.pk, "New laptop")
    assert body["answers"] == {"laptop_model": "16", "reason": "Old"}
    assert body["approval_step"] == 1
    (approval,) = body["approvals"]
    assert {k: approval[k] for k in ("step", "kind", "status", "comment")} == {
        "step": 1,
        "kind": "manager",
        "status": "pending",
        "comment": "",
    }


def test_end_users_see_only_their_own_requests_without_internal_fields(
    api_as, laptop, requester, other_end_user
):
    mine = order(laptop, requester)
    rows = api_as(requester).get(URL).json()["results"]
    assert [row["number"] for row in rows] == [mine.number]
    assert "assignment_group" not in rows[0]
    assert api_as(other_end_user).get(URL).json()["results"] == []
    assert api_as(other_end_user).get(url(mine)).status_code == 404


def test_an_approver_sees_the_request_they_must_decide(api_as, laptop, requester, manager):
    service_request = order(laptop, requester)
    rows = api_as(manager).get(URL).json()["results"]
    assert [row["number"] for row in rows] == [service_request.number]
    response = api_as(manager).get(url(service_request, "transitions/"))
    assert response.json() == [
        {"name": "approve", "fields": ["comment"], "required": []},
        {"name": "reject", "fields": ["comment"], "required": ["comment"]},
    ]


def test_a_later_steps_approvers_do_not_see_the_request_before_their_turn(
    api_as, team, infra, ivan, requester, manager, other_agent
):
    item = make_item(owner_team=team, name="Server access", form=[], approvals=["manager", infra])
    service_request = order(item, requester, answers={})
    assert api_as(ivan).get(url(service_request)).status_code == 404
    services.request_approve(service_request=service_request, by=manager)
    assert api_as(ivan).get(url(service_request)).status_code == 200
    assert api_as(other_agent).get(url(service_request)).status_code == 404


def test_an_agent_whose_team_has_a_task_sees_the_request(api_as, walk_fulfilling, ivan):
    service_request = walk_fulfilling()
    assert api_as(ivan).get(url(service_request)).status_code == 200


def test_filters_and_ordering(api_as, agent, laptop, software, requester):
    first = order(laptop, requester)
    second = order(software, requester, answers={"software": "GIMP"})
    client = api_as(agent)

    def numbers(query):
        return [row["number"] for row in client.get(URL + query).json()["results"]]

    assert numbers(f"?catalog_item={software.pk}") == [second.number]
    assert numbers("?status=awaiting_approval") == [first.number]
    assert numbers("?ordering=number") == [first.number, second.number]
    assert numbers("?search=software") == [second.number]
    response = client.get(URL + "?status=shipped")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


# --- ordering ----------------------------------------------------------------------------------


def test_an_end_user_orders_with_catalog_item_and_answers(api_as, laptop, requester):
    response = api_as(requester).post(
        URL, {"catalog_item": laptop.pk, "answers": {"laptop_model": "14"}}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["requester"], body["title"]) == (
        "awaiting_approval",
        requester.pk,
        "New laptop",
    )
    assert body["answers"] == {"laptop_model": "14"}
    assert response["ETag"] == f'"{body["version"]}"'


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({}, {"answers.laptop_model": ["This field is required."]}),
        (
            {"laptop_model": "15"},
            {
                "answers.laptop_model": [
                    "Select a valid choice. 15 is not one of the available choices."
                ]
            },
        ),
        ({"laptop_model": 14}, {"answers.laptop_model": ["Choose one of the values, as text."]}),
        (
            {"laptop_model": "14", "colour": "red"},
            {"answers.colour": ["This item's form has no such field."]},
        ),
        (["14"], {"answers": ['Expected a dictionary of items but got type "list".']}),
        ("14", {"answers": ['Expected a dictionary of items but got type "str".']}),
    ],
)
def test_a_bad_answer_is_a_400_naming_the_field_and_nothing_is_created(
    api_as, laptop, requester, answers, errors
):
    response = api_as(requester).post(
        URL, {"catalog_item": laptop.pk, "answers": answers}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"answers": {"laptop_model": "14"}}, {"catalog_item"}),
        ({"catalog_item": 99999, "answers": {}}, {"catalog_item"}),
        ({"catalog_item": "laptop"}, {"catalog_item"}),
        ({"catalog_item": "ITEM", "status": "closed"}, {"status"}),
        (
            {"catalog_item": "ITEM", "answers": {"laptop_model": "14"}, "approvals": []},
            {"approvals"},
        ),
        (
            {"catalog_item": "ITEM", "answers": {"laptop_model": "14"}, "requester": 1},
            {"requester"},
        ),
    ],
)
def test_bad_orders_are_400s(api_as, laptop, requester, body, fields):
    body = {k: (laptop.pk if v == "ITEM" else v) for k, v in body.items()}
    response = api_as(requester).post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert not ServiceRequest.objects.exists()


def test_a_missing_manager_is_a_clear_400_at_order_time(api_as, laptop):
    orphan = make_end_user(username="orphan", first_name="Otto", last_name="Orphan")
    response = api_as(orphan).post(
        URL, {"catalog_item": laptop.pk, "answers": {"laptop_model": "14"}}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("“New laptop” needs the approval of the requester's manager")
    assert list(body["errors"]) == ["catalog_item"]


def test_an_agent_orders_for_someone(api_as, agent, laptop, requester):
    response = api_as(agent).post(
        URL,
        {"catalog_item": laptop.pk, "answers": {"laptop_model": "16"}, "requester": requester.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    service_request = ServiceRequest.objects.get()
    assert (service_request.requester, service_request.created_by) == (requester, agent)


def test_an_agent_routes_an_order_and_names_its_service_and_cis(
    api_as, agent, other_agent, other_team, laptop, requester
):
    ci = ConfigurationItemFactory(name="laptop-0042")
    service = ServiceFactory(name="Workplace")
    response = api_as(agent).post(
        URL,
        {
            "catalog_item": laptop.pk,
            "answers": {"laptop_model": "14"},
            "requester": requester.pk,
            "assignment_group": other_team.pk,
            "assignee": other_agent.pk,
            "service": service.pk,
            "configuration_items": [ci.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["assignment_group"], body["assignee"], body["service"]) == (
        other_team.pk,
        other_agent.pk,
        service.pk,
    )
    assert body["configuration_items"] == [ci.pk]


def test_an_assignee_outside_the_team_is_a_field_error(
    api_as, agent, other_agent, laptop, requester
):
    response = api_as(agent).post(
        URL,
        {
            "catalog_item": laptop.pk,
            "answers": {"laptop_model": "14"},
            "requester": requester.pk,
            "assignee": other_agent.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["assignee"]
    assert not ServiceRequest.objects.exists()


def test_only_agents_route_an_order(laptop, requester, team):
    with pytest.raises(NotPermitted):
        order(laptop, requester, assignment_group=team)


def test_the_order_cannot_be_changed_afterwards(api_as, agent, laptop, requester, software):
    service_request = order(laptop, requester)
    response = api_as(agent).patch(
        url(service_request),
        {"answers": {"laptop_model": "16"}, "catalog_item": software.pk},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"answers", "catalog_item"}
    response = api_as(agent).patch(url(service_request), {"urgency": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["urgency"] == 1


# --- decisions and transitions -----------------------------------------------------------


def test_the_manager_approves_with_a_comment_and_fulfilment_starts(
    api_as, laptop, requester, manager
):
    service_request = order(laptop, requester)
    response = api_as(manager).post(
        url(service_request, "transitions/approve/"), {"comment": "Go ahead"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "fulfilling"
    assert body["approvals"][0]["status"] == "approved"
    assert body["approvals"][0]["comment"] == "Go ahead"
    tasks = api_as(manager).get(url(service_request, "tasks/")).json()
    assert [(t["number"], t["status"]) for t in tasks] == [
        ("TASK0000001", "open"),
        ("TASK0000002", "open"),
    ]


def test_only_the_current_approver_decides_through_the_api(
    api_as, laptop, requester, agent, other_end_user
):
    service_request = order(laptop, requester)
    assert (
        api_as(requester).post(url(service_request, "transitions/approve/"), {}).status_code == 403
    )
    assert api_as(agent).post(url(service_request, "transitions/approve/"), {}).status_code == 403
    # Someone who cannot even see it gets a 404.
    assert (
        api_as(other_end_user).post(url(service_request, "transitions/approve/"), {}).status_code
        == 404
    )
    assert ServiceRequest.objects.get().status == "awaiting_approval"


def test_a_rejection_needs_a_comment(api_as, laptop, requester, manager):
    service_request = order(laptop, requester)
    response = api_as(manager).post(url(service_request, "transitions/reject/"), {})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comment"]
    response = api_as(manager).post(
        url(service_request, "transitions/reject/"), {"comment": "Budget"}
    )
    assert (response.status_code, response.json()["status"]) == (200, "rejected")


def test_a_transition_not_allowed_now_is_a_409(api_as, laptop, requester):
    service_request = order(laptop, requester)
    response = api_as(requester).post(url(service_request, "transitions/close/"), {})
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


def test_the_requester_cancels_and_a_stale_if_match_is_a_412(api_as, laptop, requester):
    service_request = order(laptop, requester)
    client = api_as(requester)
    stale = client.post(
        url(service_request, "transitions/cancel/"),
        {"reason": "Changed my mind"},
        HTTP_IF_MATCH='"1"',
    )
    assert stale.status_code == 412
    done = client.post(
        url(service_request, "transitions/cancel/"),
        {"reason": "Changed my mind"},
        HTTP_IF_MATCH=f'"{service_request.version}"',
    )
    assert (done.status_code, done.json()["status"]) == (200, "cancelled")
    assert client.get(url(service_request, "transitions/")).json() == []


def test_the_requester_closes_a_fulfilled_request(api_as, walk_fulfilling, agent, ivan, requester):
    service_request = walk_fulfilling()
    first, second = tasks_of(service_request)
    services.task_complete(task=first, by=agent)
    services.task_complete(task=second, by=ivan)
    client = api_as(requester)
    assert [t["name"] for t in client.get(url(service_request, "transitions/")).json()] == ["close"]
    response = client.post(url(service_request, "transitions/close/"), {})
    assert (response.status_code, response.json()["status"]) == (200, "closed")


# --- fulfilment tasks ----------------------------------------------------------------------


def test_tasks_are_completed_through_their_own_endpoint_and_fulfil_the_request(
    api_as, walk_fulfilling, agent, ivan
):
    service_request = walk_fulfilling()
    first, second = tasks_of(service_request)
    response = api_as(agent).get(f"{TASKS}{first.pk}/transitions/")
    assert [t["name"] for t in response.json()] == ["start", "complete", "cancel"]
    response = api_as(agent).post(f"{TASKS}{first.pk}/transitions/start/", {})
    assert (response.status_code, response.json()["status"], response.json()["assignee"]) == (
        200,
        "in_progress",
        agent.pk,
    )
    assert response["ETag"] == '"2"'
    response = api_as(agent).post(
        f"{TASKS}{first.pk}/transitions/complete/", {"notes": "Handed over"}, HTTP_IF_MATCH='"2"'
    )
    assert (response.status_code, response.json()["status"]) == (200, "done")
    response = api_as(ivan).post(f"{TASKS}{second.pk}/transitions/complete/", {})
    assert response.status_code == 200
    assert ServiceRequest.objects.get(pk=service_request.pk).status == "fulfilled"


def test_task_transitions_refused_with_the_right_codes(
    api_as, walk_fulfilling, agent, ivan, other_end_user, requester
):
    service_request = walk_fulfilling()
    first, _second = tasks_of(service_request)
    endpoint = f"{TASKS}{first.pk}/transitions/complete/"
    assert api_as(ivan).post(endpoint, {}).status_code == 403  # another team's task
    assert api_as(requester).post(endpoint, {}).status_code == 403  # sees it, cannot work it
    assert api_as(other_end_user).post(endpoint, {}).status_code == 404
    assert api_as(agent).post(endpoint, {}, HTTP_IF_MATCH='"7"').status_code == 412
    assert api_as(agent).post(f"{TASKS}{first.pk}/transitions/cancel/", {}).status_code == 400
    assert api_as(agent).post(endpoint, {}).status_code == 200
    assert api_as(agent).post(endpoint, {}).status_code == 409


def test_the_task_list_filters_by_team_and_status(api_as, walk_fulfilling, agent, team, infra):
    service_request = walk_fulfilling()
    first, second = tasks_of(service_request)
    client = api_as(agent)

    def numbers(query):
        return [row["number"] for row in client.get(TASKS + query).json()["results"]]

    assert numbers(f"?assignment_group={infra.pk}") == [second.number]
    assert numbers(f"?assignment_group={team.pk}&status=open") == [first.number]
    assert numbers("?status=done") == []
    assert numbers(f"?search={service_request.number}") == [first.number, second.number]
    assert client.get(TASKS + "?status=finished").status_code == 400


# --- the catalog ---------------------------------------------------------------------------


def test_anyone_signed_in_reads_the_active_catalog_with_its_forms(
    api_as, api_client, laptop, software, team, other_end_user
):
    hidden = make_item(owner_team=team, name="Retired phone", form=[], is_active=False)
    response = api_as(other_end_user).get(ITEMS)
    assert response.status_code == 200
    items = response.json()["results"]
    assert [item["name"] for item in items] == ["New laptop", "Software install"]
    laptop_row = items[0]
    assert laptop_row["requires_approval"] is True
    assert laptop_row["approval_steps"] == [{"approver": "manager", "team": None}]
    assert [f["name"] for f in laptop_row["form"]] == ["laptop_model", "reason"]
    assert laptop_row["form"][0]["choices"] == [
        {"value": "14", "label": "14-inch"},
        {"value": "16", "label": "16-inch"},
    ]
    assert api_as(other_end_user).get(f"{ITEMS}{hidden.pk}/").status_code == 404
    assert api_client.logout() is None
    assert APIClient().get(ITEMS).status_code == 401


def test_admins_create_an_item_with_its_form_route_and_tasks(api_as, team, infra):
    admin = make_admin(username="adam")
    category = make_category("Access")
    body = {
        "name": "VPN access",
        "category": category.pk,
        "owner_team": infra.pk,
        "service": ServiceFactory(name="VPN").pk,
        "delivery_days": 2,
        "form": [
            {"name": "reason", "label": "Why", "field_type": "long_text", "max_length": 500},
            {
                "name": "until",
                "label": "Until",
                "field_type": "date",
                "required": False,
            },
            {
                "name": "profile",
                "label": "Profile",
                "field_type": "choice",
                "choices": ["Standard", {"value": "admin", "label": "Administrator"}],
            },
        ],
        "approval_steps": [{"approver": "manager"}, {"approver": "team", "team": infra.pk}],
        "task_templates": [{"title": "Grant access", "team": infra.pk}],
    }
    response = api_as(admin).post(ITEMS, body, format="json")
    assert response.status_code == 201, response.json()
    item = CatalogItem.objects.get()
    assert [f.name for f in item.fields.all()] == ["reason", "until", "profile"]
    assert list(item.approval_steps.values_list("approver", "team")) == [
        ("manager", None),
        ("team", infra.pk),
    ]
    response = api_as(admin).patch(
        f"{ITEMS}{item.pk}/",
        {"form": [{"name": "reason", "label": "Why", "field_type": "text"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [f["name"] for f in response.json()["form"]] == ["reason"]
    assert item.approval_steps.count() == 2  # not given: kept


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ([{"name": "q", "label": "Q", "field_type": "choice"}], "form.0.choices"),
        ([{"name": "Bad Name", "label": "Q", "field_type": "text"}], "form.0.name"),
        ([{"name": "q", "label": "Q", "field_type": "text", "regex": "("}], "form.0.regex"),
        ([{"name": "q", "label": "Q", "field_type": "rating"}], "form.0.field_type"),
        (
            [
                {"name": "q", "label": "Q", "field_type": "text"},
                {"name": "q", "label": "Q2", "field_type": "text"},
            ],
            "form",
        ),
        (
            [{"name": "n", "label": "N", "field_type": "number", "min_value": 5, "max_value": 1}],
            "form.0.max_value",
        ),
    ],
)
def test_a_form_definition_that_cannot_work_is_a_400(api_as, team, form, field):
    admin = make_admin(username="adam")
    body = {"name": "X", "category": make_category().pk, "owner_team": team.pk, "form": form}
    response = api_as(admin).post(ITEMS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CatalogItem.objects.exists()


def test_only_catalog_admins_change_the_catalog(api_as, agent, requester, laptop):
    for user in (agent, requester):
        assert api_as(user).patch(f"{ITEMS}{laptop.pk}/", {"name": "X"}).status_code == 403
        assert api_as(user).post(ITEMS, {"name": "X"}).status_code == 403


# --- bounded queries -----------------------------------------------------------------------


def test_the_request_list_costs_the_same_queries_at_any_length(
    agent, laptop, software, requester, manager, django_assert_num_queries
):
    """Token (1), permissions (2), count (1), page (1), CIs (1), approvals (1)."""
    client = token_client(agent)
    for _ in range(3):
        order(laptop, requester)
    with django_assert_num_queries(7):
        assert len(client.get(URL).json()["results"]) == 3
    for n in range(10):
        services.request_approve(service_request=order(laptop, requester), by=manager)
        order(software, make_end_user(username=f"user{n}"), answers={"software": "Vim"})
    with django_assert_num_queries(7):
        assert len(client.get(URL + "?page_size=50").json()["results"]) == 23


def test_the_task_list_costs_the_same_queries_at_any_length(
    agent, laptop, requester, manager, django_assert_num_queries
):
    """Token (1), permissions (2), the agent's teams (0: a subquery), count (1), page (1)."""
    client = token_client(agent)
    services.request_approve(service_request=order(laptop, requester), by=manager)
    with django_assert_num_queries(5):
        assert len(client.get(TASKS).json()["results"]) == 2
    for _ in range(8):
        services.request_approve(service_request=order(laptop, requester), by=manager)
    with django_assert_num_queries(5):
        assert len(client.get(TASKS + "?page_size=50").json()["results"]) == 18


def test_the_catalog_list_costs_the_same_queries_at_any_length(
    requester, team, infra, django_assert_num_queries
):
    """Token (1), permissions (2), count (1), page (1), fields, steps and templates (3)."""
    client = token_client(requester)
    make_item(owner_team=team, name="One", approvals=["manager"], tasks=[("Do", team)])
    with django_assert_num_queries(8):
        assert len(client.get(ITEMS).json()["results"]) == 1
    for n in range(6):
        make_item(owner_team=team, name=f"Item {n}", approvals=[infra], tasks=[("Do", infra)])
    with django_assert_num_queries(8):
        assert len(client.get(ITEMS).json()["results"]) == 7


def test_fulfilment_task_rows_exist_only_through_the_request(walk_fulfilling):
    service_request = walk_fulfilling()
    assert FulfilmentTask.objects.filter(request=service_request).count() == 2
