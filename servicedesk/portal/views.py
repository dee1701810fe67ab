"""Portal views for end users: plain pages over the same scoped selectors as the agent UI."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from servicedesk.core import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A greeting and the tickets the user requested or watches."""
    tickets = selectors.first_rows(selectors.portal_tickets(request.user))
    return render(request, "portal/home.html", {"tickets": tickets})
