"""The catalog in the back office: items edited with their form, approvals and tasks inline."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from service_requests.models import CatalogItem, FormField
from tests.factories import UserFactory
from tests.service_requests.factories import make_category, order, tasks_of


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inline(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def item_post(team, infra, *, choices: str = "14 | 14-inch\n16") -> dict[str, Any]:
    return {
        "name": "New laptop",
        "category": str(make_category().pk),
        "description": "A laptop for work.",
        "owner_team": str(team.pk),
        "delivery_days": "5",
        "order": "10",
        "is_active": "on",
        **inline(
            "fields",
            [
                {
                    "order": "1",
                    "name": "laptop_model",
                    "label": "Model",
                    "field_type": "choice",
                    "required": "on",
                    "choices": choices,
                },
                {"order": "2", "name": "needed_by", "label": "Needed by", "field_type": "date"},
            ],
        ),
        **inline("approval_steps", [{"order": "1", "approver": "manager"}]),
        **inline(
            "task_templates",
            [
                {"order": "1", "title": "Prepare", "team": str(team.pk)},
                {"order": "2", "title": "Enrol", "team": str(infra.pk)},
            ],
        ),
    }


def test_a_service_desk_admin_builds_an_item_with_its_form_approvals_and_tasks(
    admin_user, team, infra
):
    response = signed_in(admin_user).post(
        reverse("admin:service_requests_catalogitem_add"), item_post(team, infra)
    )
    assert response.status_code == 302, response.context["errors"]
    item = CatalogItem.objects.get()
    assert list(item.fields.values_list("name", "field_type", "choices")) == [
        (
            "laptop_model",
            "choice",
            [{"value": "14", "label": "14-inch"}, {"value": "16", "label": "16"}],
        ),
        ("needed_by", "date", []),
    ]
    assert list(item.approval_steps.values_list("approver", "team")) == [("manager", None)]
    assert list(item.task_templates.values_list("title", "team__name")) == [
        ("Prepare", "Service Desk"),
        ("Enrol", "Infrastructure"),
    ]
    page = signed_in(admin_user).get(
        reverse("admin:service_requests_catalogitem_change", args=[item.pk])
    )
    assert page.status_code == 200
    assert "14 | 14-inch\n16" in page.content.decode()


@pytest.mark.parametrize(
    ("choices", "error"),
    [
        ("", "A choice question needs at least one choice."),
        ("a\na", "The choice “a” appears twice."),
    ],
)
def test_a_form_that_cannot_work_is_refused_in_the_admin(admin_user, team, infra, choices, error):
    response = signed_in(admin_user).post(
        reverse("admin:service_requests_catalogitem_add"), item_post(team, infra, choices=choices)
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not CatalogItem.objects.exists()


def test_an_end_user_or_agent_cannot_edit_the_catalog(agent, end_user):
    for user in (agent, end_user):
        response = signed_in(user).get(reverse("admin:service_requests_catalogitem_changelist"))
        assert response.status_code == 302  # to the admin's sign-in


def test_a_requests_admin_page_shows_its_answers_approvals_and_tasks(
    laptop, requester, manager, agent
):
    from service_requests import services

    service_request = order(laptop, requester)
    services.request_approve(service_request=service_request, by=manager, comment="Go")
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    page = signed_in(superuser).get(
        reverse("admin:service_requests_servicerequest_change", args=[service_request.pk])
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "&quot;laptop_model&quot;: &quot;14&quot;" in content
    assert "Go" in content
    for task in tasks_of(service_request):
        assert task.number in content
    assert FormField.objects.count() == 2
