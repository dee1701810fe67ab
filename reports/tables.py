"""Every report figure as a table (header and rows): shown beside its chart, downloadable as CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Practice, Priority

from . import metrics
from .metrics import Period


@dataclass
class Table:
    """One report: its title, columns and rows, and how to chart it (if at all)."""

    name: str
    title: Promise
    header: list[Any]
    rows: list[list[Any]]
    chart: str = ""  # "bar", "stacked", "line" or "" for a table only
    # Columns (by index) plotted as series, the first column giving the labels.
    series: list[int] = field(default_factory=list)

    def chart_data(self) -> dict[str, Any]:
        return {
            "type": self.chart,
            "labels": [str(row[0]) for row in self.rows],
            "datasets": [
                {"label": str(self.header[i]), "data": [row[i] for row in self.rows]}
                for i in self.series
            ],
        }


def hours(value: timedelta | None) -> float | None:
    """A duration in hours, two decimals; empty when there is none."""
    return None if value is None else round(value.total_seconds() / 3600, 2)


def _sla(user: Any, period: Period, by: str, title: Promise, label: Callable) -> Table:
    rows = metrics.sla_compliance(user, period, by)
    return Table(
        name=f"sla-by-{by}",
        title=title,
        header=[
            {"practice": _("Practice"), "priority": _("Priority"), "team": _("Team")}[by],
            _("Response met"),
            _("Response breached"),
            _("Resolution met"),
            _("Resolution breached"),
        ],
        rows=[
            [
                label(r["key"]),
                r["response_met"],
                r["response_breached"],
                r["resolution_met"],
                r["resolution_breached"],
            ]
            for r in rows
        ],
        chart="stacked",
        series=[1, 2, 3, 4],
    )


def _practice(value: str) -> str:
    return str(Practice(value).label)


def _priority(value: int) -> str:
    return str(Priority(value).label)


def _team(value: str | None) -> str:
    return value or str(_("No team"))


def sla_by_practice(user: Any, period: Period) -> Table:
    return _sla(user, period, "practice", _("SLA compliance by practice"), _practice)


def sla_by_priority(user: Any, period: Period) -> Table:
    return _sla(user, period, "priority", _("SLA compliance by priority"), _priority)


def sla_by_team(user: Any, period: Period) -> Table:
    return _sla(user, period, "team", _("SLA compliance by team"), _team)


def mean_times(user: Any, period: Period) -> Table:
    return Table(
        name="mean-times",
        title=_("Mean time to acknowledge and to resolve (hours)"),
        header=[
            _("Practice"),
            _("Tickets"),
            _("Mean time to acknowledge"),
            _("Mean time to resolve"),
        ],
        rows=[
            [_practice(r["practice"]), r["tickets"], hours(r["mtta"]), hours(r["mttr"])]
            for r in metrics.mean_times(user, period)
        ],
        chart="bar",
        series=[2, 3],
    )


def backlog(user: Any, period: Period) -> Table:
    return Table(
        name="backlog",
        title=_("Opened and closed per day"),
        header=[_("Day"), _("Opened"), _("Closed")],
        rows=[
            [r["day"].isoformat(), r["opened"], r["closed"]] for r in metrics.backlog(user, period)
        ],
        chart="line",
        series=[1, 2],
    )


def incidents_per_service(user: Any, period: Period) -> Table:
    return Table(
        name="incidents-per-service",
        title=_("Incidents per service"),
        header=[_("Service"), _("Incidents")],
        rows=[[r["key"], r["incidents"]] for r in metrics.incidents_per_service(user, period)],
        chart="bar",
        series=[1],
    )


def incidents_per_ci(user: Any, period: Period) -> Table:
    return Table(
        name="incidents-per-ci",
        title=_("Incidents per configuration item"),
        header=[_("Configuration item"), _("Incidents")],
        rows=[[r["key"], r["incidents"]] for r in metrics.incidents_per_ci(user, period)],
        chart="bar",
        series=[1],
    )


def top_problems(user: Any, period: Period) -> Table:
    return Table(
        name="top-problems",
        title=_("Problems with the most linked incidents"),
        header=[_("Number"), _("Title"), _("Linked incidents")],
        rows=[
            [r["number"], r["title"], r["incidents"]]
            for r in metrics.problems_by_linked_incidents(user, period)
        ],
    )


def change_outcomes(user: Any, period: Period) -> Table:
    f = metrics.change_outcomes(user, period)
    return Table(
        name="change-outcomes",
        title=_("Changes: outcomes, success rate and emergency share"),
        header=[_("Figure"), _("Value")],
        rows=[
            [str(_("Changes")), f["total"]],
            [str(_("Emergency changes")), f["emergency"]],
            [str(_("Emergency share (%)")), f["emergency_share"]],
            [str(_("Completed")), f["completed"]],
            [str(_("Successful")), f["successful"]],
            [str(_("Failed")), f["failed"]],
            [str(_("Backed out")), f["backed_out"]],
            [str(_("Success rate (%)")), f["success_rate"]],
        ],
    )


def fulfilment_times(user: Any, period: Period) -> Table:
    return Table(
        name="fulfilment-times",
        title=_("Request fulfilment time per catalog item (hours)"),
        header=[_("Catalog item"), _("Fulfilled requests"), _("Mean fulfilment time")],
        rows=[
            [r["key"] or str(_("Outside the catalog")), r["requests"], hours(r["mean"])]
            for r in metrics.fulfilment_times(user, period)
        ],
        chart="bar",
        series=[2],
    )


def score(value: float | None) -> float | None:
    """A mean score, two decimals; empty when nothing was rated."""
    return None if value is None else round(value, 2)


def satisfaction(user: Any, period: Period) -> Table:
    f = metrics.satisfaction_summary(user, period)
    return Table(
        name="satisfaction",
        title=_("Satisfaction: ratings given in the period"),
        header=[_("Figure"), _("Value")],
        rows=[
            [str(_("Ratings")), f["ratings"]],
            [str(_("Mean score (1 to 5)")), score(f["average"])],
            [str(_("Satisfied, 4 or 5 (%)")), f["satisfied_share"]],
        ],
    )


def satisfaction_by_score(user: Any, period: Period) -> Table:
    return Table(
        name="satisfaction-by-score",
        title=_("Satisfaction: ratings per score"),
        header=[_("Score"), _("Ratings"), _("Share (%)")],
        rows=[
            [r["score"], r["ratings"], r["share"]]
            for r in metrics.satisfaction_distribution(user, period)
        ],
        chart="bar",
        series=[1],
    )


def _satisfaction_by(
    user: Any, period: Period, by: str, title: Promise, heading: Promise, label: Callable
) -> Table:
    return Table(
        name=f"satisfaction-by-{by}",
        title=title,
        header=[heading, _("Ratings"), _("Mean score")],
        rows=[
            [label(r["key"]), r["ratings"], score(r["average"])]
            for r in metrics.satisfaction_by(user, period, by)
        ],
        chart="bar",
        series=[2],
    )


def _service(value: str | None) -> str:
    return value or str(_("No service"))


def satisfaction_by_practice(user: Any, period: Period) -> Table:
    return _satisfaction_by(
        user, period, "practice", _("Satisfaction by practice"), _("Practice"), _practice
    )


def satisfaction_by_team(user: Any, period: Period) -> Table:
    return _satisfaction_by(user, period, "team", _("Satisfaction by team"), _("Team"), _team)


def satisfaction_by_service(user: Any, period: Period) -> Table:
    return _satisfaction_by(
        user, period, "service", _("Satisfaction by service"), _("Service"), _service
    )


# In the order the page shows them.
TABLES: dict[str, Callable[[Any, Period], Table]] = {
    "sla-by-practice": sla_by_practice,
    "sla-by-priority": sla_by_priority,
    "sla-by-team": sla_by_team,
    "mean-times": mean_times,
    "backlog": backlog,
    "incidents-per-service": incidents_per_service,
    "incidents-per-ci": incidents_per_ci,
    "top-problems": top_problems,
    "change-outcomes": change_outcomes,
    "fulfilment-times": fulfilment_times,
    "satisfaction": satisfaction,
    "satisfaction-by-score": satisfaction_by_score,
    "satisfaction-by-practice": satisfaction_by_practice,
    "satisfaction-by-team": satisfaction_by_team,
    "satisfaction-by-service": satisfaction_by_service,
}
