"""Template helpers of the agent UI and portal: labels and times, without a query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from servicedesk.core import selectors

register = template.Library()


@register.filter
def status_label(ticket: Any) -> str:
    """``{{ ticket|status_label }}``: the label of its status in its own practice's lifecycle."""
    return selectors.status_label(ticket.practice, ticket.status)


@register.filter
def is_terminal(ticket: Any) -> bool:
    return selectors.is_terminal(ticket.practice, ticket.status)


@register.simple_tag
def local_time(value: datetime | None) -> SafeString:
    """A ``<time>`` in the current (the user's) time zone: short text, the full date as title."""
    if value is None:
        return format_html('<span class="muted">{}</span>', _("never"))
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{} {}">{}</time>',
        local.isoformat(),
        formats.date_format(local, "DATETIME_FORMAT"),
        local.tzname(),
        formats.date_format(local, "Y-m-d H:i"),
    )


# Parameters of a list's page that choose which rows a page shows, not which rows match.
PAGE_PARAMETERS = ("page",)


@register.simple_tag
def export_url(practice: str, query: QueryDict | str = "") -> str:
    """The CSV export of a ticket list: its filters (``query``) without the page, and the practice.

    ``query`` is the list's ``request.GET`` or its query string; empty fields are left out.
    """
    params = QueryDict(query) if isinstance(query, str) else query
    kept = QueryDict(mutable=True)
    for key, values in params.lists():
        if key in PAGE_PARAMETERS or key == "practice":
            continue
        values = [value for value in values if value != ""]
        if values:
            kept.setlist(key, values)
    if practice:
        kept["practice"] = practice
    url = reverse("reports:export-tickets")
    return f"{url}?{kept.urlencode()}" if kept else url
