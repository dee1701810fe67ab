"""Ids longer than any database integer answer 404 on every page and endpoint, never 500."""

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

HUGE = "9" * 30


def id_routes(resolver=None, prefix=""):
    """Every URL pattern that takes an <id:…> converter, as a route with the huge id in."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from id_routes(pattern, prefix + route)
        elif isinstance(pattern, URLPattern) and "<id:" in route:
            yield prefix + route


def with_huge_ids(route: str) -> str:
    import re

    path = re.sub(r"<id:\w+>", HUGE, route)
    path = re.sub(r"<(?:str|slug):\w+>", "x", path)
    return "/" + path


ROUTES = sorted(set(id_routes()))


def test_every_page_with_an_id_uses_the_bounded_converter():
    import re

    unbounded = [
        str(p.pattern) for p in _all_patterns(get_resolver()) if re.search(r"<int:", str(p.pattern))
    ]
    assert unbounded == []
    assert len(ROUTES) > 10


def _all_patterns(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _all_patterns(pattern)
        else:
            yield pattern


@pytest.mark.parametrize("route", ROUTES)
def test_a_huge_id_is_404(admin_client, route):
    response = admin_client.get(with_huge_ids(route))
    assert response.status_code in (404, 405)


# --- ids out of range in queries and raw request data ----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("huge", [10**30, -(10**30), 2**63])
def test_ids_no_column_can_hold_match_no_row_in_an_in_lookup(huge):
    from servicedesk.core.models import Team
    from tests.factories import TeamFactory

    team = TeamFactory()

    assert list(Team.objects.filter(pk__in=[huge])) == []
    assert list(Team.objects.filter(pk__in=[huge, team.pk])) == [team]
    assert list(Team.objects.exclude(pk__in=[huge])) == [team]


@pytest.mark.django_db
@pytest.mark.parametrize("huge", [10**30, -(10**30)])
def test_ids_no_column_can_hold_match_no_row_through_a_relation(huge):
    from problems.models import Problem
    from servicedesk.core.models import Membership, Team
    from tests.factories import TeamFactory, make_agent, make_problem

    team = TeamFactory()
    make_agent(team)
    problem = make_problem()

    # A child model's primary key is a one-to-one key to its parent: a relation's __in.
    assert list(Problem.objects.filter(pk__in=[huge, problem.pk])) == [problem]
    assert list(Membership.objects.filter(team__in=[huge])) == []
    assert list(Team.objects.filter(memberships__team_id__in=[huge])) == []
    # And a relation's = (a NumberFilter on related_problem_id, say).
    assert list(Membership.objects.filter(team_id=huge)) == []
    assert list(Membership.objects.exclude(team=huge)) == list(Membership.objects.all())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 7 ", 7), (42, 42), ("9" * 18, int("9" * 18))]
    + [(bad, None) for bad in ("", None, "9" * 19, "1e30", "-3", "12a", "١٢", [], 1.5)],
)
def test_parse_id_accepts_only_what_an_id_column_holds(raw, expected):
    from servicedesk.core.converters import parse_id

    assert parse_id(raw) == expected
