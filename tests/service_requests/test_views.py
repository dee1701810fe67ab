"""The agent screens: request list, request page with its buttons, task queue, ordering."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from service_requests import services
from service_requests.models import ServiceRequest
from servicedesk.core.models import Comment
from tests.factories import make_end_user
from tests.service_requests.factories import fresh, order, tasks_of


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> list[str]:
    return [sr.number for sr in response.context["page"].object_list]


# --- the list ----------------------------------------------------------------------------------


def test_end_users_are_kept_out_of_the_agent_screens(requester, laptop):
    service_request = order(laptop, requester)
    client = signed_in(requester)
    for path in (
        reverse("requests:list"),
        reverse("requests:detail", args=[service_request.pk]),
        reverse("requests:tasks"),
        reverse("requests:new"),
    ):
        assert client.get(path).status_code == 403


def test_the_list_filters_sorts_and_pages(agent, laptop, software, requester, team):
    first = order(laptop, requester)
    second = order(software, requester, answers={"software": "GIMP"})
    client = signed_in(agent)
    response = client.get(reverse("requests:list"))
    assert response.status_code == 200
    assert listed(response) == [second.number, first.number]
    content = response.content.decode()
    assert f'href="/requests/{first.pk}/"' in content
    assert "Awaiting approval" in content
    assert listed(client.get(reverse("requests:list"), {"status": "fulfilling"})) == [second.number]
    assert listed(client.get(reverse("requests:list"), {"catalog_item": laptop.pk})) == [
        first.number
    ]
    assert listed(client.get(reverse("requests:list"), {"ordering": "number"})) == [
        first.number,
        second.number,
    ]
    assert listed(client.get(reverse("requests:list"), {"search": "software"})) == [second.number]
    bad = client.get(reverse("requests:list"), {"status": "flying"})
    assert bad.status_code == 200
    assert "filter-errors" in bad.content.decode()


def test_the_list_pages_by_25(agent, software, requester):
    for n in range(27):
        order(software, requester, answers={"software": f"Tool {n}"})
    client = signed_in(agent)
    assert len(listed(client.get(reverse("requests:list")))) == 25
    assert len(listed(client.get(reverse("requests:list"), {"page": 2}))) == 2


def layout_queries(client: Client) -> int:
    """What the agent layout costs (session, user, permissions, and whatever the shared
    header shows): measured on a page of ours that adds exactly one query of its own."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("requests:new"), {"search": "no such item"}).status_code == 200
    return len(queries) - 1  # the catalog search, which finds nothing to prefetch for


# Count, page, and the teams and catalog items offered as filters; whatever the length.
REQUEST_LIST_QUERIES = 4


@pytest.mark.parametrize("extra", [0, 30])
def test_the_list_page_costs_a_fixed_number_of_queries(
    agent, laptop, software, requester, manager, extra, django_assert_num_queries
):
    order(laptop, requester)
    for n in range(extra):
        if n % 2:
            services.request_approve(service_request=order(laptop, requester), by=manager)
        else:
            order(software, make_end_user(username=f"user{n}"), answers={"software": "Vim"})
    client = signed_in(agent)
    layout = layout_queries(client)
    assert layout >= 4  # session, user, the user's permissions (own and through groups)
    with django_assert_num_queries(layout + REQUEST_LIST_QUERIES):
        response = client.get(reverse("requests:list"))
    assert response.status_code == 200
    assert len(listed(response)) == min(1 + extra, 25)


# --- the request page ----------------------------------------------------------------------


def test_the_request_page_shows_answers_approvals_tasks_and_timeline(
    agent, laptop, requester, manager
):
    service_request = order(laptop, requester, answers={"laptop_model": "16", "reason": "Slow"})
    services.request_approve(service_request=service_request, by=manager, comment="Fine")
    response = signed_in(agent).get(reverse("requests:detail", args=[service_request.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert [(a.label, a.text) for a in response.context["answers"]] == [
        ("Model", "16-inch"),
        ("Why", "Slow"),
    ]
    assert "“Fine”" in content
    for task in tasks_of(service_request):
        assert task.number in content
    assert "submit_for_approval" in content  # the system's step is on the timeline
    # The Service Desk's task has its buttons; Infrastructure's has none for this agent.
    rows = {
        row["task"].title: [a[0] for a in row["actions"]] for row in response.context["task_rows"]
    }
    assert rows == {
        "Prepare the laptop": ["start", "complete", "cancel"],
        "Enrol in device management": [],
    }
    assert [name for name, _label, _form in response.context["transitions"]] == []


def test_the_allowed_transitions_are_buttons_that_work(agent, walk_fulfilled):
    service_request = walk_fulfilled()
    client = signed_in(agent)
    page = client.get(reverse("requests:detail", args=[service_request.pk]))
    assert [name for name, _label, _form in page.context["transitions"]] == ["close"]
    assert f'action="/requests/{service_request.pk}/transitions/close/"' in page.content.decode()
    response = client.post(
        reverse("requests:transition", args=[service_request.pk, "close"]),
        {"version": service_request.version},
    )
    assert response.status_code == 302
    assert fresh(service_request).status == "closed"


def test_a_stale_button_changes_nothing_and_says_why(agent, walk_fulfilled):
    service_request = walk_fulfilled()
    client = signed_in(agent)
    response = client.post(
        reverse("requests:transition", args=[service_request.pk, "close"]),
        {"version": service_request.version - 1},
        follow=True,
    )
    assert fresh(service_request).status == "fulfilled"
    assert "changed since you opened it" in response.content.decode()


def test_task_buttons_complete_tasks_and_fulfil_the_request(agent, ivan, walk_fulfilling):
    service_request = walk_fulfilling()
    first, second = tasks_of(service_request)
    response = signed_in(agent).post(
        reverse("requests:task-transition", args=[first.pk, "complete"]),
        {"complete-notes": "Handed over", "version": first.version},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{service_request.pk}/"
    refused = signed_in(agent).post(
        reverse("requests:task-transition", args=[second.pk, "complete"]), follow=True
    )
    assert "You may not run “complete” on this task." in refused.content.decode()
    signed_in(ivan).post(reverse("requests:task-transition", args=[second.pk, "complete"]))
    assert fresh(service_request).status == "fulfilled"
    assert tasks_of(service_request)[0].notes == "Handed over"


def test_a_task_cancelled_without_a_reason_is_refused(agent, walk_fulfilling):
    task = tasks_of(walk_fulfilling())[0]
    response = signed_in(agent).post(
        reverse("requests:task-transition", args=[task.pk, "cancel"]), {"cancel-reason": ""}
    )
    assert response.status_code == 302
    assert tasks_of(task.request)[0].status == "open"


def test_agents_reply_or_write_internal_notes(agent, laptop, requester):
    service_request = order(laptop, requester)
    client = signed_in(agent)
    client.post(reverse("requests:reply", args=[service_request.pk]), {"body": "On it"})
    client.post(
        reverse("requests:reply", args=[service_request.pk]),
        {"body": "Budget code 42", "internal": "on"},
    )
    assert list(Comment.objects.values_list("body", "internal")) == [
        ("On it", False),
        ("Budget code 42", True),
    ]


def test_an_agent_outside_the_scope_gets_a_404(other_agent, laptop, requester):
    service_request = order(laptop, requester)
    client = signed_in(other_agent)
    assert client.get(reverse("requests:detail", args=[service_request.pk])).status_code == 404
    assert (
        client.post(reverse("requests:transition", args=[service_request.pk, "cancel"])).status_code
        == 404
    )


# --- the task queue ---------------------------------------------------------------------------


def test_the_task_queue_shows_a_teams_open_tasks(agent, ivan, walk_fulfilling, team, infra):
    first_request = walk_fulfilling()
    second_request = walk_fulfilling()
    response = signed_in(ivan).get(reverse("requests:tasks"))
    assert response.status_code == 200
    assert [row["task"].title for row in response.context["rows"]] == [
        "Enrol in device management",
        "Enrol in device management",
    ]
    assert response.context["rows"][0]["actions"][0][0] == "start"
    services.task_complete(task=tasks_of(first_request)[0], by=agent)
    response = signed_in(agent).get(reverse("requests:tasks"))
    assert [row["task"].request_id for row in response.context["rows"]] == [second_request.pk]
    done = signed_in(agent).get(reverse("requests:tasks"), {"status": "done"})
    assert [row["task"].request_id for row in done.context["rows"]] == [first_request.pk]


# The agent's teams, the team filter's check, count, page, and the team ids the buttons need.
TASK_QUEUE_QUERIES = 5


@pytest.mark.parametrize("rounds", [1, 12])
def test_the_task_queue_costs_a_fixed_number_of_queries(
    agent, walk_fulfilling, rounds, django_assert_num_queries
):
    for _ in range(rounds):
        walk_fulfilling()
    client = signed_in(agent)
    layout = layout_queries(client)
    with django_assert_num_queries(layout + TASK_QUEUE_QUERIES):
        response = client.get(reverse("requests:tasks"))
    assert len(response.context["rows"]) == rounds


# --- ordering for someone -------------------------------------------------------------------


def test_an_agent_orders_for_someone_through_the_generated_form(agent, laptop, requester):
    client = signed_in(agent)
    page = client.get(reverse("requests:order", args=[laptop.pk]))
    assert page.status_code == 200
    assert 'name="answers-laptop_model"' in page.content.decode()
    bad = client.post(
        reverse("requests:order", args=[laptop.pk]),
        {"requester": requester.pk, "answers-laptop_model": "15"},
    )
    assert bad.status_code == 200
    assert list(bad.context["form"].errors) == ["laptop_model"]
    response = client.post(
        reverse("requests:order", args=[laptop.pk]),
        {"requester": requester.pk, "answers-laptop_model": "14", "answers-reason": "Broken"},
    )
    service_request = ServiceRequest.objects.get()
    assert response["Location"] == f"/requests/{service_request.pk}/"
    assert (service_request.requester, service_request.answers) == (
        requester,
        {"laptop_model": "14", "reason": "Broken"},
    )


def test_ordering_for_someone_without_a_manager_says_so_on_the_form(agent, laptop):
    orphan = make_end_user(username="orphan")
    response = signed_in(agent).post(
        reverse("requests:order", args=[laptop.pk]),
        {"requester": orphan.pk, "answers-laptop_model": "14"},
    )
    assert response.status_code == 200
    assert "no manager on record" in response.content.decode()
    assert not ServiceRequest.objects.exists()
