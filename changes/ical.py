"""The change calendar as RFC 5545 iCalendar, written with the icalendar library."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .choices import ChangeStatus
from .models import Change, FreezePeriod

PAST_DAYS = 30
FUTURE_DAYS = 365
# A change that may still move is tentative; one under way or done is confirmed.
EVENT_STATUS = {
    ChangeStatus.SCHEDULED: "CONFIRMED",
    ChangeStatus.IMPLEMENTING: "CONFIRMED",
    ChangeStatus.REVIEW: "CONFIRMED",
    ChangeStatus.CLOSED: "CONFIRMED",
}


def calendar_feed(
    *,
    changes: Iterable[Change],
    freezes: Iterable[FreezePeriod],
    base_url: str,
    host: str,
) -> bytes:
    """One VCALENDAR with a VEVENT per change window and per freeze, times in UTC."""
    cal = Calendar()
    cal.add("prodid", "-//Service Desk//Change calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Change calendar")
    stamp = timezone.now().astimezone(UTC)
    for change in changes:
        event = Event()
        event.add("uid", f"change-{change.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", change.planned_start.astimezone(UTC))
        event.add("dtend", change.planned_end.astimezone(UTC))
        event.add("summary", f"{change.number} {change.title}")
        event.add(
            "description",
            f"{change.get_change_type_display()} change, {change.get_status_display().lower()}"
            + (f", risk {change.get_risk_display().lower()}" if change.risk else ""),
        )
        event.add("url", base_url.rstrip("/") + reverse("changes:detail", args=[change.pk]))
        event.add("status", EVENT_STATUS.get(change.status, "TENTATIVE"))
        event.add("categories", ["Change", change.get_change_type_display()])
        event.add("last-modified", change.updated_at.astimezone(UTC))
        cal.add_component(event)
    for freeze in freezes:
        event = Event()
        event.add("uid", f"freeze-{freeze.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", freeze.start.astimezone(UTC))
        event.add("dtend", freeze.end.astimezone(UTC))
        event.add("summary", f"Change freeze: {freeze.name}")
        if freeze.reason:
            event.add("description", freeze.reason)
        event.add("categories", ["Change freeze"])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
