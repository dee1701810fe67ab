"""The demo catalog and requests: ordered through the services, every page renders them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from service_requests.models import Approval, CatalogItem, FulfilmentTask, ServiceRequest
from servicedesk.core.demo import load_demo_data
from servicedesk.core.models import User


@pytest.fixture
def demo(db):
    load_demo_data()


def as_user(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_demo_catalog_has_each_kind_of_approval(demo):
    items = {item.name: item for item in CatalogItem.objects.all()}
    assert sorted(items) == ["New laptop", "Software install", "VPN access"]
    assert list(items["New laptop"].approval_steps.values_list("approver", flat=True)) == [
        "manager"
    ]
    assert list(items["New laptop"].task_templates.values_list("team__name", flat=True)) == [
        "Service Desk",
        "Infrastructure",
    ]
    assert not items["Software install"].approval_steps.exists()
    assert list(items["VPN access"].approval_steps.values_list("approver", "team__name")) == [
        ("team", "Network")
    ]


def test_the_demo_requests_are_in_different_states_and_loading_twice_changes_nothing(demo):
    def snapshot():
        return (
            list(
                ServiceRequest.objects.order_by("number").values_list("number", "title", "status")
            ),
            CatalogItem.objects.count(),
            Approval.objects.count(),
            FulfilmentTask.objects.count(),
        )

    first = snapshot()
    assert first == (
        [
            ("REQ0000001", "New laptop for Frank", "awaiting_approval"),
            ("REQ0000002", "Inkscape for Eve", "fulfilling"),
        ],
        3,
        1,
        1,
    )
    assert Approval.objects.get().approver.username == "mike"
    assert FulfilmentTask.objects.get().assignment_group.name == "Applications"
    load_demo_data()
    assert snapshot() == first


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        ("frank", ["portal:catalog", "portal:requests", "portal:approvals", "portal:home"]),
        ("mike", ["portal:approvals"]),
        ("alice", ["requests:list", "requests:tasks", "requests:new"]),
        ("andy", ["requests:tasks"]),
    ],
)
def test_every_page_renders_with_the_demo_data(demo, username, pages):
    client = as_user(username)
    for name in pages:
        assert client.get(reverse(name)).status_code == 200, name
    for service_request in ServiceRequest.objects.all():
        for name in ("portal:request-detail", "requests:detail"):
            response = client.get(reverse(name, args=[service_request.pk]))
            assert response.status_code in (200, 403, 404), (name, response.status_code)
    for item in CatalogItem.objects.all():
        assert client.get(reverse("portal:catalog-item", args=[item.pk])).status_code == 200


def test_mike_approves_franks_laptop_from_the_portal(demo):
    laptop = ServiceRequest.objects.get(title="New laptop for Frank")
    client = as_user("mike")
    page = client.get(reverse("portal:request-detail", args=[laptop.pk]))
    assert page.context["can_decide"] is True
    client.post(
        reverse("portal:request-action", args=[laptop.pk, "approve"]),
        {"approve-comment": "Yes, his is ancient."},
    )
    laptop.refresh_from_db()
    assert laptop.status == "fulfilling"
    assert sorted(
        FulfilmentTask.objects.filter(request=laptop).values_list("title", flat=True)
    ) == [
        "Enrol the laptop in device management",
        "Prepare and image the laptop",
    ]
