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
