"""CSV files streamed row by row: ticket lists with their filters, and every chart's data."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from servicedesk.core.models import Ticket
from servicedesk.core.selectors import status_label

# Rows fetched from the database at a time: memory stays flat however long the export.
CHUNK_SIZE = 2000
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

TICKET_COLUMNS = (
    "number",
    "practice",
    "title",
    "status",
    "priority",
    "impact",
    "urgency",
    "sla_state",
    "assignment_group",
    "assignee",
    "requester",
    "service",
    "created_at",
    "updated_at",
    "response_due_at",
    "resolution_due_at",
    "responded_at",
    "resolved_at",
    "closed_at",
)


class _Echo:
    """A file-like object whose write hands back the line, for a streamed csv.writer."""

    def write(self, value: str) -> str:
        return value


def cell(value: Any, tz: tzinfo | None = None) -> Any:
    """One CSV cell: times in ``tz`` (default: the current one), text safe from formulas."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]], tz: tzinfo) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value, tz) for value in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download of ``rows`` (consumed lazily, as the client reads).

    The user's time zone is taken now: the rows are written after the middleware
    that activated it has returned.
    """
    tz = timezone.get_current_timezone()
    response = StreamingHttpResponse(
        csv_lines(header, rows, tz), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Who works a ticket is for agents: end users' exports leave it out, as the API does.
AGENT_ONLY_COLUMNS = ("assignment_group", "assignee")
PUBLIC_TICKET_COLUMNS = tuple(c for c in TICKET_COLUMNS if c not in AGENT_ONLY_COLUMNS)


def ticket_rows(
    queryset: Iterable[Ticket], columns: Sequence[str] = TICKET_COLUMNS
) -> Iterator[list[Any]]:
    """The export row of each ticket; the queryset must join the people, team and service."""
    keep = [TICKET_COLUMNS.index(column) for column in columns]
    for t in queryset:
        row = [
            t.number,
            t.practice,
            t.title,
            status_label(t.practice, t.status),
            t.priority,
            t.impact,
            t.urgency,
            t.sla_state,
            t.assignment_group.name if t.assignment_group_id else "",
            t.assignee.username if t.assignee_id else "",
            t.requester.username,
            t.service.name if t.service_id else "",
            t.created_at,
            t.updated_at,
            t.response_due_at,
            t.resolution_due_at,
            t.responded_at,
            t.resolved_at,
            t.closed_at,
        ]
        yield [row[i] for i in keep]
