"""The portal: browse and order from the catalog, follow one's requests, decide approvals."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from service_requests import services
from service_requests.models import Approval, ServiceRequest
from servicedesk.core import services as core_services
from servicedesk.core.models import Comment
from tests.factories import make_end_user
from tests.service_requests.factories import fresh, make_category, make_item, order


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["portal:catalog", "portal:requests", "portal:approvals"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/portal/")


def test_the_portal_home_links_to_the_catalog_requests_and_approvals(requester):
    content = signed_in(requester).get(reverse("portal:home")).content.decode()
    for path in ("/portal/catalog/", "/portal/requests/", "/portal/approvals/"):
        assert f'href="{path}"' in content


# --- the catalog -------------------------------------------------------------------------------


def test_the_catalog_lists_active_items_by_category_and_searches_them(
    requester, laptop, software, team
):
    make_item(owner_team=team, name="Retired phone", form=[], is_active=False)
    access = make_category("Access")
    make_item(owner_team=team, name="VPN access", form=[], category=access, description="Remote")
    client = signed_in(requester)
    response = client.get(reverse("portal:catalog"))
    assert response.status_code == 200
    assert {
        category.name: [item.name for item in items]
        for category, items in response.context["groups"].items()
    } == {"Access": ["VPN access"], "Hardware": ["New laptop", "Software install"]}
    content = response.content.decode()
    assert "Retired phone" not in content
    assert "Needs approval" in content
    found = client.get(reverse("portal:catalog"), {"q": "remote"})
    assert [i.name for items in found.context["groups"].values() for i in items] == ["VPN access"]
    by_category = client.get(reverse("portal:catalog"), {"category": access.pk})
    assert list(by_category.context["groups"]) == [access]
    nothing = client.get(reverse("portal:catalog"), {"q": "zeppelin"})
    assert "Nothing in the catalog matches “zeppelin”." in nothing.content.decode()


def test_an_inactive_item_cannot_be_opened(requester, team):
    retired = make_item(owner_team=team, name="Retired phone", form=[], is_active=False)
    assert (
        signed_in(requester).get(reverse("portal:catalog-item", args=[retired.pk])).status_code
        == 404
    )


# --- ordering ----------------------------------------------------------------------------------


def test_the_order_page_shows_the_generated_form_and_the_route(requester, laptop):
    response = signed_in(requester).get(reverse("portal:catalog-item", args=[laptop.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="answers-laptop_model"' in content
    assert '<option value="16">16-inch</option>' in content
    assert 'name="answers-reason"' in content
    assert "Approved by your manager before we start." in content


def test_ordering_creates_the_request_and_shows_it(requester, laptop):
    client = signed_in(requester)
    response = client.post(
        reverse("portal:catalog-item", args=[laptop.pk]),
        {"answers-laptop_model": "16", "answers-reason": "Mine is broken"},
        follow=True,
    )
    service_request = ServiceRequest.objects.get()
    assert response.redirect_chain == [(f"/portal/requests/{service_request.pk}/", 302)]
    assert (service_request.requester, service_request.answers) == (
        requester,
        {"laptop_model": "16", "reason": "Mine is broken"},
    )
    content = response.content.decode()
    assert f"your request {service_request.number} was received" in content
    assert "Waiting for approval" in content
    assert response.context["current_approval"].approver.username == "mike"


def test_a_bad_answer_is_a_form_error_on_its_field_and_nothing_is_created(requester, laptop):
    response = signed_in(requester).post(
        reverse("portal:catalog-item", args=[laptop.pk]), {"answers-laptop_model": "15"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "laptop_model": ["Select a valid choice. 15 is not one of the available choices."]
    }
    assert 'id="id_answers-laptop_model_error"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_a_missing_manager_is_explained_on_the_order_form(laptop):
    orphan = make_end_user(username="orphan", first_name="Otto", last_name="Orphan")
    response = signed_in(orphan).post(
        reverse("portal:catalog-item", args=[laptop.pk]), {"answers-laptop_model": "14"}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "“New laptop” needs the approval of the requester's manager, and Otto Orphan has no "
        "manager on record. Ask the service desk to record one, then order again."
    ]
    assert not ServiceRequest.objects.exists()


# --- my requests -------------------------------------------------------------------------------


def test_my_requests_lists_only_mine_in_plain_words(requester, other_end_user, laptop, software):
    mine = order(laptop, requester)
    ready = order(software, requester, answers={"software": "GIMP"})
    order(software, other_end_user, answers={"software": "Secret tool"})
    response = signed_in(requester).get(reverse("portal:requests"))
    assert [sr.number for sr in response.context["page"].object_list] == [
        ready.number,
        mine.number,
    ]
    content = response.content.decode()
    assert "Secret tool" not in content
    assert "Waiting for approval" in content
    assert "Being prepared" in content


def test_an_end_user_never_sees_another_users_request(requester, other_end_user, laptop):
    service_request = order(laptop, requester)
    client = signed_in(other_end_user)
    assert (
        client.get(reverse("portal:request-detail", args=[service_request.pk])).status_code == 404
    )
    for name in ("approve", "reject", "cancel", "close"):
        response = client.post(reverse("portal:request-action", args=[service_request.pk, name]))
        assert response.status_code == 404
    assert (
        client.post(
            reverse("portal:request-reply", args=[service_request.pk]), {"body": "Hi"}
        ).status_code
        == 404
    )
    assert fresh(service_request).status == "awaiting_approval"
    assert not Comment.objects.exists()


def test_the_request_page_shows_the_public_conversation_only(requester, laptop, agent):
    service_request = order(laptop, requester)
    core_services.comment_add(ticket=service_request, by=agent, body="We ordered it")
    core_services.comment_add(
        ticket=service_request, by=agent, body="Supplier is slow", internal=True
    )
    client = signed_in(requester)
    response = client.get(reverse("portal:request-detail", args=[service_request.pk]))
    content = response.content.decode()
    assert "We ordered it" in content
    assert "Supplier is slow" not in content
    assert response.context["can_cancel"] is True
    assert response.context["can_decide"] is False
    client.post(
        reverse("portal:request-reply", args=[service_request.pk]),
        {"body": "Thanks!", "internal": "on"},
    )
    assert Comment.objects.filter(body="Thanks!").get().internal is False


def test_the_requester_cancels_from_the_portal(requester, laptop):
    service_request = order(laptop, requester)
    client = signed_in(requester)
    empty = client.post(
        reverse("portal:request-action", args=[service_request.pk, "cancel"]),
        {"cancel-reason": ""},
        follow=True,
    )
    assert "This field is required." in empty.content.decode()
    assert fresh(service_request).status == "awaiting_approval"
    client.post(
        reverse("portal:request-action", args=[service_request.pk, "cancel"]),
        {"cancel-reason": "Got one from a colleague", "version": service_request.version},
    )
    assert fresh(service_request).status == "cancelled"


def test_the_requester_confirms_delivery(requester, walk_fulfilled):
    service_request = walk_fulfilled()
    client = signed_in(requester)
    page = client.get(reverse("portal:request-detail", args=[service_request.pk]))
    assert "Delivered" in page.content.decode()
    assert page.context["can_close"] is True
    client.post(reverse("portal:request-action", args=[service_request.pk, "close"]))
    assert fresh(service_request).status == "closed"


def test_agent_only_transitions_are_not_reachable_from_the_portal(agent, walk_fulfilling):
    service_request = walk_fulfilling()
    response = signed_in(agent).post(
        reverse("portal:request-action", args=[service_request.pk, "fulfil"])
    )
    assert response.status_code == 404


# --- approvals ---------------------------------------------------------------------------------


def test_an_approver_sees_and_decides_the_request_they_must_decide(requester, manager, laptop):
    service_request = order(laptop, requester, answers={"laptop_model": "16"})
    client = signed_in(manager)
    waiting = client.get(reverse("portal:approvals"))
    assert [a.request_id for a in waiting.context["approvals"]] == [service_request.pk]
    page = client.get(reverse("portal:request-detail", args=[service_request.pk]))
    assert page.status_code == 200
    assert page.context["can_decide"] is True
    assert "16-inch" in page.content.decode()
    response = client.post(
        reverse("portal:request-action", args=[service_request.pk, "approve"]),
        {"approve-comment": "Enjoy", "next": reverse("portal:approvals")},
    )
    assert response["Location"] == "/portal/approvals/"
    assert fresh(service_request).status == "fulfilling"
    assert Approval.objects.get().comment == "Enjoy"
    assert client.get(reverse("portal:approvals")).context["approvals"] == []
    # Having decided, the manager still sees what they approved.
    assert (
        client.get(reverse("portal:request-detail", args=[service_request.pk])).status_code == 200
    )


def test_a_rejection_from_the_portal_needs_a_comment(requester, manager, laptop):
    service_request = order(laptop, requester)
    client = signed_in(manager)
    client.post(reverse("portal:request-action", args=[service_request.pk, "reject"]), {})
    assert fresh(service_request).status == "awaiting_approval"
    client.post(
        reverse("portal:request-action", args=[service_request.pk, "reject"]),
        {"reject-comment": "Not in the budget"},
    )
    assert fresh(service_request).status == "rejected"
    page = signed_in(requester).get(reverse("portal:request-detail", args=[service_request.pk]))
    content = page.content.decode()
    assert "Not approved" in content
    assert "“Not in the budget”" in content


def test_a_later_steps_team_sees_the_request_only_when_its_turn_comes(
    requester, manager, team, infra, ivan
):
    item = make_item(owner_team=team, name="Server access", form=[], approvals=["manager", infra])
    service_request = order(item, requester, answers={})
    client = signed_in(ivan)
    assert client.get(reverse("portal:approvals")).context["approvals"] == []
    assert (
        client.get(reverse("portal:request-detail", args=[service_request.pk])).status_code == 404
    )
    services.request_approve(service_request=service_request, by=manager)
    assert [a.step for a in client.get(reverse("portal:approvals")).context["approvals"]] == [2]
    page = client.get(reverse("portal:request-detail", args=[service_request.pk]))
    assert page.context["can_decide"] is True
    # The manager, who decided step 1, cannot decide step 2.
    manager_page = signed_in(manager).get(
        reverse("portal:request-detail", args=[service_request.pk])
    )
    assert manager_page.context["can_decide"] is False


def test_the_requester_is_never_asked_to_approve_their_own_request(team, infra, ivan):
    from tests.factories import make_agent

    make_agent(infra, username="ines")
    item = make_item(owner_team=team, name="VPN access", form=[], approvals=[infra])
    order(item, ivan, answers={})
    assert signed_in(ivan).get(reverse("portal:approvals")).context["approvals"] == []


# --- bounded queries ---------------------------------------------------------------------------

# Session, user, the user's permissions (own and through groups), count, page.
MY_REQUESTS_QUERIES = 6
# The same, then the approvals waiting (with their requests, requesters and items joined in).
APPROVALS_QUERIES = 5


@pytest.mark.parametrize("extra", [0, 20])
def test_portal_lists_cost_a_fixed_number_of_queries(
    requester, manager, laptop, software, extra, django_assert_num_queries
):
    order(laptop, requester)
    for n in range(extra):
        order(software, requester, answers={"software": f"Tool {n}"})
        order(laptop, make_end_user(username=f"colleague{n}", manager=manager))
    as_requester, as_manager = signed_in(requester), signed_in(manager)
    with django_assert_num_queries(MY_REQUESTS_QUERIES):
        response = as_requester.get(reverse("portal:requests"))
    assert len(response.context["page"].object_list) == min(1 + extra, 25)
    with django_assert_num_queries(APPROVALS_QUERIES):
        response = as_manager.get(reverse("portal:approvals"))
    assert len(response.context["approvals"]) == 1 + extra
