"""Reads of the portal's data for reports: satisfaction by team and by practice."""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, F

from servicedesk.core import permissions

from .models import SatisfactionRating

GROUPINGS = {"team": "ticket__assignment_group__name", "practice": "ticket__practice"}


def satisfaction_summary(user: Any, *, by: str = "team") -> list[dict[str, Any]]:
    """Average score and count of ratings per team or practice, over tickets ``user`` sees."""
    key = GROUPINGS[by]
    tickets = permissions.visible_tickets(user).values("pk")
    rows = (
        SatisfactionRating.objects.filter(ticket__in=tickets)
        .values(group=F(key))
        .annotate(average=Avg("score"), count=Count("pk"))
        .order_by("group")
    )
    return [
        {"group": row["group"], "average": round(row["average"], 2), "count": row["count"]}
        for row in rows
    ]
