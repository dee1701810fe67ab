"""Saved filters: a user's named queries of a list, saved, picked again and deleted."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from servicedesk.core import services
from servicedesk.core.errors import NotPermitted, ValidationFailed
from servicedesk.core.models import SavedFilter

LIST = reverse("incidents:list")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the service ----------------------------------------------------------------------------------


def test_a_saved_filter_keeps_the_query_without_page_and_empty_fields(agent):
    saved = services.saved_filter_save(
        user=agent,
        list_name="incidents",
        name="  My P1s ",
        query="?status=new&status=in_progress&priority=1&search=&page=3&ordering=-updated_at",
    )

    assert (saved.user, saved.list_name, saved.name) == (agent, "incidents", "My P1s")
    assert saved.query == "status=new&status=in_progress&priority=1&ordering=-updated_at"


def test_saving_under_the_same_name_replaces_the_query(agent):
    first = services.saved_filter_save(
        user=agent, list_name="incidents", name="Mine", query="status=new"
    )
    second = services.saved_filter_save(
        user=agent, list_name="incidents", name="Mine", query="status=on_hold"
    )

    assert first.pk == second.pk
    assert list(SavedFilter.objects.values_list("name", "query")) == [("Mine", "status=on_hold")]


def test_the_same_name_may_exist_per_user_and_per_list(agent, lead):
    services.saved_filter_save(user=agent, list_name="incidents", name="Mine", query="a=1")
    services.saved_filter_save(user=lead, list_name="incidents", name="Mine", query="a=2")
    services.saved_filter_save(user=agent, list_name="changes", name="Mine", query="a=3")

    assert SavedFilter.objects.count() == 3
    assert list(
        SavedFilter.objects.for_list(agent, "incidents").values_list("query", flat=True)
    ) == ["a=1"]


def test_the_database_refuses_a_duplicate_name(agent):
    SavedFilter.objects.create(user=agent, list_name="incidents", name="Mine", query="")

    with pytest.raises(IntegrityError):
        SavedFilter.objects.create(user=agent, list_name="incidents", name="Mine", query="x=1")


@pytest.mark.parametrize(
    ("name", "query", "errors"),
    [
        ("   ", "status=new", {"name": ["Give the filter a name."]}),
        ("x" * 81, "status=new", {"name": ["At most 80 characters."]}),
        ("Long", "search=" + "x" * 2000, {"query": ["This filter is too long to save."]}),
    ],
)
def test_a_saved_filter_needs_a_name_and_a_query_that_fits(agent, name, query, errors):
    with pytest.raises(ValidationFailed) as caught:
        services.saved_filter_save(user=agent, list_name="incidents", name=name, query=query)

    assert caught.value.fields == errors
    assert SavedFilter.objects.count() == 0


def test_only_the_owner_deletes_a_saved_filter(agent, lead):
    saved = services.saved_filter_save(user=agent, list_name="incidents", name="Mine", query="")

    with pytest.raises(NotPermitted):
        services.saved_filter_delete(saved_filter=saved, by=lead)
    services.saved_filter_delete(saved_filter=saved, by=agent)

    assert SavedFilter.objects.count() == 0


# --- the incident list's menu ---------------------------------------------------------------------


def test_saving_the_current_filter_from_the_list(agent):
    response = signed_in(agent).post(
        reverse("incidents:saved_filter_create"),
        {"name": "Waiting", "query": "status=on_hold&page=2&search="},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?status=on_hold"
    assert messages_of(response) == ["Filter “Waiting” saved."]
    assert list(SavedFilter.objects.values_list("user", "list_name", "name", "query")) == [
        (agent.pk, "incidents", "Waiting", "status=on_hold")
    ]


def test_the_menu_lists_only_the_users_own_filters_as_links(agent, lead):
    services.saved_filter_save(user=agent, list_name="incidents", name="Mine", query="priority=1")
    services.saved_filter_save(user=agent, list_name="changes", name="CAB week", query="x=1")
    services.saved_filter_save(user=lead, list_name="incidents", name="Lena's", query="x=2")

    response = signed_in(agent).get(LIST + "?priority=1")

    assert [s.name for s in response.context["saved_filters"]] == ["Mine"]
    content = response.content.decode()
    assert '<a href="/incidents/?priority=1" aria-current="true">Mine</a>' in content
    assert "Lena&#x27;s" not in content
    assert "CAB week" not in content
    assert (
        '<input type="hidden" name="query" id="saved-filter-query" value="priority=1">' in content
    )


def test_a_saved_filter_without_a_name_is_refused(agent):
    response = signed_in(agent).post(
        reverse("incidents:saved_filter_create"), {"name": "", "query": "status=new"}
    )

    assert response["Location"] == LIST
    assert messages_of(response) == ["Give the filter a name of at most 80 characters."]
    assert SavedFilter.objects.count() == 0


def test_deleting_a_saved_filter(agent):
    saved = services.saved_filter_save(user=agent, list_name="incidents", name="Mine", query="")

    response = signed_in(agent).post(
        reverse("incidents:saved_filter_delete", args=[saved.pk]), {"next": "/incidents/?a=1"}
    )

    assert response["Location"] == "/incidents/?a=1"
    assert messages_of(response) == ["Filter “Mine” deleted."]
    assert SavedFilter.objects.count() == 0


def test_another_users_saved_filter_is_404(agent, lead):
    saved = services.saved_filter_save(user=lead, list_name="incidents", name="Hers", query="")

    response = signed_in(agent).post(reverse("incidents:saved_filter_delete", args=[saved.pk]))

    assert response.status_code == 404
    assert SavedFilter.objects.count() == 1


def test_saved_filter_forms_need_a_signed_in_agent(client, end_user):
    url = reverse("incidents:saved_filter_create")

    assert client.post(url, {"name": "x"})["Location"] == f"/accounts/login/?next={url}"
    assert signed_in(end_user).post(url, {"name": "x"}).status_code == 403
    assert SavedFilter.objects.count() == 0
