"""Agent UI: the search page, CSV exports and the managers' reports; selectors do the reads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from servicedesk.core import permissions
from servicedesk.core.search import MAX_QUERY_LENGTH

from . import selectors


@require_safe
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """One search box over every practice; results grouped by practice, best first."""
    if not permissions.is_agent(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    groups = selectors.search_results(request.user, query) if query else []
    return render(
        request,
        "reports/search.html",
        {"query": query, "groups": groups, "total": sum(g.total for g in groups)},
    )
