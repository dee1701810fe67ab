"""Agent UI: the search page, CSV exports and the managers' reports; selectors do the reads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from servicedesk.core import permissions
from servicedesk.core.search import clean_query

from . import exports, selectors, tables
from .forms import ReportFilterForm
from .permissions import can_view_reports


@require_safe
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """One search box over every practice; results grouped by practice, best first."""
    if not permissions.is_agent(request.user):
        raise PermissionDenied
    query = clean_query(request.GET.get("q"))
    groups = selectors.search_results(request.user, query) if query else []
    return render(
        request,
        "reports/search.html",
        {"query": query, "groups": groups, "total": sum(g.total for g in groups)},
    )


@require_safe
@login_required
def export_tickets(request: HttpRequest) -> HttpResponse:
    """Any ticket list as CSV: the list's query string (its FilterSet) picks the rows.

    Streamed, so that a hundred thousand rows cost no more memory than a hundred; scoped
    to what the user may see, and without descriptions or comments.
    """
    rows, errors = selectors.export_tickets(request.user, request.GET, request)
    if errors is not None:
        return HttpResponseBadRequest(errors.as_text(), content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    agent = permissions.is_agent(request.user)
    columns = exports.TICKET_COLUMNS if agent else exports.PUBLIC_TICKET_COLUMNS
    return exports.csv_response(f"tickets-{stamp}.csv", columns, exports.ticket_rows(rows, columns))


def _report_form(request: HttpRequest) -> ReportFilterForm:
    if not can_view_reports(request.user):
        raise PermissionDenied
    return ReportFilterForm(request.GET or None)


@require_safe
@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """The managers' reports for a date range and team: one or two grouped queries each."""
    form = _report_form(request)
    if request.GET and not form.is_valid():
        return render(request, "reports/reports.html", {"form": form, "tables": []}, status=400)
    if not request.GET:
        form = ReportFilterForm({})
        form.is_valid()
    period = form.period()
    built = [build(request.user, period) for build in tables.TABLES.values()]
    return render(
        request,
        "reports/reports.html",
        {"form": form, "period": period, "tables": built, "query": request.GET.urlencode()},
    )


@require_safe
@login_required
def report_csv(request: HttpRequest, name: str) -> HttpResponse:
    """One report's table as CSV, for the same filters as the page."""
    form = _report_form(request)
    build = tables.TABLES.get(name)
    if build is None:
        raise Http404
    if not form.is_bound:
        form = ReportFilterForm({})
    if not form.is_valid():
        return HttpResponseBadRequest(
            form.errors.as_text(), content_type="text/plain; charset=utf-8"
        )
    period = form.period()
    table = build(request.user, period)
    return exports.csv_response(
        f"{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
        [str(h) for h in table.header],
        table.rows,
    )
