"""The ticket number component links each practice's number to that practice's page."""

from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import include, path

COMPONENT = "components/ticket_number_link.html"


def _page(request, pk):
    return HttpResponse()


# A URL configuration with a problem page, for the link that waits for it.
_problem_urls = [path("problems/<int:pk>/", _page, name="detail")]
urlpatterns = [path("", include((_problem_urls, "problems")))]


def link(practice: str, pk: int = 7, number: str = "X0000007") -> str:
    ticket = SimpleNamespace(practice=practice, pk=pk, number=number)
    return render_to_string(COMPONENT, {"ticket": ticket}).strip().split("#}")[-1]


@pytest.mark.parametrize(
    ("practice", "url"),
    [
        ("incident", "/incidents/7/"),
        ("problem", "/problems/7/"),
        ("change", "/changes/7/"),
        ("request", "/requests/7/"),
    ],
)
def test_each_practices_number_links_to_its_page(practice, url):
    assert link(practice) == f'<a href="{url}">X0000007</a>'


def test_an_unknown_practice_keeps_the_plain_number():
    assert link("other") == "X0000007"


@override_settings(ROOT_URLCONF=__name__)
def test_a_problems_number_links_to_the_problem_page_where_there_is_one():
    # This configuration has only the problem page: the others' numbers stay plain.
    assert link("problem") == '<a href="/problems/7/">X0000007</a>'
    assert link("incident") == "X0000007"
