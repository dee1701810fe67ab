"""The SLA clock: due times from policies, pauses, response and resolution, and the sweep.

Every ticket with a matching policy has a response and a resolution target, counted
in business time of the policy's calendar from ``sla_started_at``, less the business
time the clock stood still (``sla_paused_total``; the current pause, if any, began at
``sla_paused_since``). Each target has levels: the policy's warning thresholds, then
100 % (the breach, reached at the due time). ``sla_next_check_at`` holds the instant
at which the next level not yet reached falls due, so the sweep is a range scan on an
index. A level is claimed by a conditional UPDATE (``… WHERE level < n``), so each
level fires once per ticket however many sweeps run, retry or die halfway.

The hooks (``sla_start``, ``sla_priority_changed``, ``sla_status_changed``) change the
ticket in memory; the service that calls them saves it. ``sla_responded`` and the
sweep save what they change themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from changes.choices import ChangeStatus
from incidents.choices import IncidentStatus
from problems.choices import ProblemStatus
from service_requests.choices import ServiceRequestStatus

from . import permissions
from .business_time import CalendarSnapshot, add_business_time, business_time_between
from .choices import AuditAction, EscalationAction, Practice, Priority, SLAState, SLATarget
from .errors import ValidationFailed
from .models import (
    AuditEvent,
    BusinessCalendar,
    EscalationRule,
    Holiday,
    Membership,
    SLAPolicy,
    Ticket,
    User,
    WorkingPeriod,
)
from .models.sla import BREACH

logger = logging.getLogger(__name__)

ZERO = timedelta(0)


@dataclass(frozen=True)
class PracticeClock:
    """Which statuses of a practice pause the clock, count as resolved, or stop it for good."""

    initial: str
    pauses: frozenset[str] = frozenset()
    resolved: frozenset[str] = frozenset()
    # Cancelled or rejected: the clock stops with neither a breach nor a "met".
    stops: frozenset[str] = frozenset()

    def stands_still(self, status: str) -> bool:
        return status in self.pauses or status in self.resolved


CLOCKS: dict[str, PracticeClock] = {
    Practice.INCIDENT: PracticeClock(
        initial=IncidentStatus.NEW,
        pauses=frozenset({IncidentStatus.ON_HOLD}),
        resolved=frozenset({IncidentStatus.RESOLVED, IncidentStatus.CLOSED}),
        stops=frozenset({IncidentStatus.CANCELLED}),
    ),
    Practice.PROBLEM: PracticeClock(
        initial=ProblemStatus.NEW,
        resolved=frozenset({ProblemStatus.RESOLVED, ProblemStatus.CLOSED}),
        stops=frozenset({ProblemStatus.CANCELLED}),
    ),
    # A change "resolves" when it is completed: review, then closed.
    Practice.CHANGE: PracticeClock(
        initial=ChangeStatus.DRAFT,
        resolved=frozenset({ChangeStatus.REVIEW, ChangeStatus.CLOSED}),
        stops=frozenset({ChangeStatus.REJECTED, ChangeStatus.CANCELLED}),
    ),
    Practice.REQUEST: PracticeClock(
        initial=ServiceRequestStatus.SUBMITTED,
        pauses=frozenset({ServiceRequestStatus.AWAITING_APPROVAL}),
        resolved=frozenset({ServiceRequestStatus.FULFILLED, ServiceRequestStatus.CLOSED}),
        stops=frozenset({ServiceRequestStatus.REJECTED, ServiceRequestStatus.CANCELLED}),
    ),
}

LEVEL_FIELDS: dict[str, str] = {
    SLATarget.RESPONSE: "sla_response_warning_level",
    SLATarget.RESOLUTION: "sla_warning_level",
}
DUE_FIELDS: dict[str, str] = {
    SLATarget.RESPONSE: "response_due_at",
    SLATarget.RESOLUTION: "resolution_due_at",
}
# What the hooks change (never the levels: only the sweep's conditional update raises them).
SLA_FIELDS: list[str] = [
    "sla_policy",
    "sla_started_at",
    "sla_paused_total",
    "sla_paused_since",
    "sla_state",
    "response_due_at",
    "resolution_due_at",
    "responded_at",
    "sla_next_check_at",
]


@dataclass(frozen=True)
class Checkpoint:
    """The instant at which a target reaches a level (a warning threshold, or 100: breach)."""

    at: datetime
    target: str
    level: int


# --- policies and calendars ---------------------------------------------------------------


def calendar_snapshot(calendar: BusinessCalendar) -> CalendarSnapshot:
    """The calendar as plain data for the business-time functions."""
    return CalendarSnapshot.build(
        calendar.timezone,
        [(p.weekday, p.start, p.end) for p in calendar.working_periods.all()],
        [h.date for h in calendar.holidays.all()],
    )


def policy_for(ticket: Ticket) -> SLAPolicy | None:
    """The active policy for the ticket's practice and priority; one for its service wins."""
    return (
        SLAPolicy.objects.select_related("calendar")
        .prefetch_related("calendar__working_periods", "calendar__holidays")
        .filter(is_active=True, practice=ticket.practice, priority=ticket.priority)
        .filter(Q(service__isnull=True) | Q(service_id=ticket.service_id))
        .order_by(F("service_id").asc(nulls_last=True))
        .first()
    )


class PolicyCache:
    """Policies (with their rules) and calendar snapshots, each loaded once per sweep or hook."""

    def __init__(self) -> None:
        self._policies: dict[int, SLAPolicy | None] = {}
        self._calendars: dict[int, CalendarSnapshot] = {}

    def policy(self, pk: int) -> SLAPolicy | None:
        if pk not in self._policies:
            self._policies[pk] = (
                SLAPolicy.objects.select_related("calendar")
                .prefetch_related(
                    "calendar__working_periods",
                    "calendar__holidays",
                    Prefetch("escalation_rules", EscalationRule.objects.select_related("team")),
                )
                .filter(pk=pk)
                .first()
            )
        return self._policies[pk]

    def calendar(self, policy: SLAPolicy) -> CalendarSnapshot:
        if policy.calendar_id not in self._calendars:
            self._calendars[policy.calendar_id] = calendar_snapshot(policy.calendar)
        return self._calendars[policy.calendar_id]


# --- the clock ----------------------------------------------------------------------------


def clock_of(ticket: Ticket) -> PracticeClock:
    return CLOCKS[ticket.practice]


def is_stopped(ticket: Ticket, status: str | None = None) -> bool:
    return (status or ticket.status) in clock_of(ticket).stops


def is_resolved(ticket: Ticket, status: str | None = None) -> bool:
    return (status or ticket.status) in clock_of(ticket).resolved


def running_targets(ticket: Ticket, policy: SLAPolicy) -> list[tuple[str, timedelta]]:
    """The targets still to be met: the response until there is one, the resolution."""
    targets = []
    if ticket.responded_at is None:
        targets.append((SLATarget.RESPONSE, timedelta(minutes=policy.response_minutes)))
    targets.append((SLATarget.RESOLUTION, timedelta(minutes=policy.resolution_minutes)))
    return targets


def checkpoints(ticket: Ticket, policy: SLAPolicy, calendar: CalendarSnapshot) -> list[Checkpoint]:
    """When each level of each running target falls due, ignoring any pause under way."""
    found = []
    for target, length in running_targets(ticket, policy):
        instant, spent = ticket.sla_started_at, ZERO
        for level in policy.levels:
            # Business time is additive, so each level is reached from the one before.
            amount = ticket.sla_paused_total + length * level / 100
            instant = add_business_time(calendar, instant, amount - spent)
            spent = amount
            found.append(Checkpoint(at=instant, target=target, level=level))
    return found


def _refresh_state(ticket: Ticket, at: datetime, points: Iterable[Checkpoint], status: str) -> None:
    """The SLA state at ``at``; a breach is for good."""
    if ticket.sla_state == SLAState.BREACHED or is_stopped(ticket, status):
        return
    if is_resolved(ticket, status):
        ticket.sla_state = SLAState.MET
    elif ticket.sla_paused_since is not None:
        ticket.sla_state = SLAState.PAUSED
    else:
        reached = [p.level for p in points if p.at <= at]
        if BREACH in reached:
            ticket.sla_state = SLAState.BREACHED
        elif reached:
            ticket.sla_state = SLAState.AT_RISK
        else:
            ticket.sla_state = SLAState.IN_PROGRESS


def _reschedule(
    ticket: Ticket, at: datetime, cache: PolicyCache | None = None, status: str | None = None
) -> None:
    """Due times, state and the next check from the ticket's policy, as of ``at``."""
    # ``status``: the status the ticket is moving to, when a transition is under way.
    status = status or ticket.status
    if is_stopped(ticket, status):
        ticket.sla_next_check_at = None
        return
    policy = ticket.sla_policy
    if ticket.sla_started_at is None:
        ticket.sla_started_at = ticket.created_at or at
    if policy is None:
        ticket.resolution_due_at = None
        if ticket.responded_at is None:
            ticket.response_due_at = None
        ticket.sla_next_check_at = None
        if ticket.sla_state != SLAState.BREACHED:
            ticket.sla_state = SLAState.IN_PROGRESS
        return
    if is_resolved(ticket, status):
        points: list[Checkpoint] = []  # the outcome is settled; the due times stay as they were
    else:
        points = checkpoints(ticket, policy, (cache or PolicyCache()).calendar(policy))
        for point in points:
            if point.level == BREACH:
                setattr(ticket, DUE_FIELDS[point.target], point.at)
    pending = [p.at for p in points if p.level > getattr(ticket, LEVEL_FIELDS[p.target])]
    running = ticket.sla_paused_since is None and not is_resolved(ticket, status)
    ticket.sla_next_check_at = min(pending) if running and pending else None
    _refresh_state(ticket, at, points, status)


def _record_response(ticket: Ticket, at: datetime) -> None:
    """The first response, on time or late (a late one is a breach)."""
    if ticket.responded_at is not None:
        return
    ticket.responded_at = at
    stopped_at = ticket.sla_paused_since or at
    if ticket.response_due_at is not None and stopped_at >= ticket.response_due_at:
        ticket.sla_state = SLAState.BREACHED


def _end_pause(ticket: Ticket, at: datetime, cache: PolicyCache) -> None:
    """Add the business time the clock stood still to the paused total."""
    if ticket.sla_paused_since is None:
        return
    if ticket.sla_policy is not None:
        calendar = cache.calendar(ticket.sla_policy)
        ticket.sla_paused_total += business_time_between(calendar, ticket.sla_paused_since, at)
    ticket.sla_paused_since = None


# --- hooks called by the ticket services ----------------------------------------------------


def sla_start(ticket: Ticket, *, at: datetime) -> None:
    """Start the clock of a new ticket: match its policy and set its due times (before saving)."""
    ticket.sla_started_at = at
    ticket.sla_paused_total = ZERO
    ticket.sla_state = SLAState.IN_PROGRESS
    ticket.sla_policy = policy_for(ticket)
    if clock_of(ticket).stands_still(ticket.status):
        ticket.sla_paused_since = at
    _reschedule(ticket, at)


def sla_priority_changed(ticket: Ticket, *, at: datetime) -> list[str]:
    """Match the policy again after a priority or service change; returns the fields to save."""
    # Levels already reached stay reached; a priority without a policy keeps the targets
    # the ticket had (a promise once made is not withdrawn).
    if not is_resolved(ticket) and not is_stopped(ticket):
        ticket.sla_policy = policy_for(ticket) or ticket.sla_policy
        _reschedule(ticket, at)
    return SLA_FIELDS


def sla_status_changed(
    ticket: Ticket,
    *,
    from_status: str,
    to_status: str,
    at: datetime,
    by: User | None = None,
) -> None:
    """Follow a transition: pause, resume, resolve, reopen or stop the clock (before saving)."""
    # An agent moving the ticket out of its practice's first status acknowledges it: the
    # response. Reaching a resolved status resolves it (and responds, if nobody had).
    # Leaving a resolved status (reopening) counts the time it stood resolved as a pause.
    clock = clock_of(ticket)
    if from_status == to_status or from_status in clock.stops:
        return
    if to_status in clock.stops:
        ticket.sla_next_check_at = None  # no breach, no "met": the state stays as it was
        return
    acknowledged = (
        from_status == clock.initial
        and ticket.responded_at is None
        and by is not None
        and by.pk != ticket.requester_id
        and permissions.is_agent(by)
    )
    resolving = to_status in clock.resolved and from_status not in clock.resolved
    resuming = clock.stands_still(from_status) and not clock.stands_still(to_status)
    pausing = clock.stands_still(to_status) and ticket.sla_paused_since is None
    if not (acknowledged or resolving or resuming or pausing):
        return  # nothing that moves the clock
    cache = PolicyCache()
    if acknowledged or resolving:
        _record_response(ticket, at)
    if resolving:
        stopped_at = ticket.sla_paused_since or at
        if ticket.resolution_due_at is not None and stopped_at >= ticket.resolution_due_at:
            ticket.sla_state = SLAState.BREACHED
    if resuming:
        _end_pause(ticket, at, cache)
        if ticket.sla_state == SLAState.MET:
            ticket.sla_state = SLAState.IN_PROGRESS  # reopened: "met" no longer holds
    elif pausing:
        ticket.sla_paused_since = at
    _reschedule(ticket, at, cache, status=to_status)


def sla_responded(ticket: Ticket, *, at: datetime) -> None:
    """Record the first response (an agent's public reply) on a saved ticket, once."""
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_policy__calendar")
        .filter(pk=ticket.pk, responded_at__isnull=True)
        .first()
    )
    if locked is None:
        return
    _record_response(locked, at)
    _reschedule(locked, at)
    locked.save(update_fields=SLA_FIELDS)
    for field in SLA_FIELDS:
        setattr(ticket, field, getattr(locked, field))


# --- the sweep and escalations ---------------------------------------------------------------


def sla_sweep(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Fire every level that fell due by ``now``; returns how many levels fired."""
    # A range scan on sla_next_check_at, in batches (keyset pagination, so a run always
    # ends); each ticket is handled in a transaction of its own.
    now = now or timezone.now()
    cache = PolicyCache()
    fired = 0
    after: tuple[datetime, int] | None = None
    while True:
        due = Ticket.objects.filter(sla_next_check_at__lte=now)
        if after is not None:
            due = due.filter(
                Q(sla_next_check_at__gt=after[0]) | Q(sla_next_check_at=after[0], pk__gt=after[1])
            )
        batch = list(
            due.order_by("sla_next_check_at", "pk").values_list("sla_next_check_at", "pk")[
                :batch_size
            ]
        )
        for check_at, pk in batch:
            fired += sla_check(ticket_id=pk, expected_check_at=check_at, now=now, cache=cache)
        if len(batch) < batch_size:
            return fired
        after = batch[-1]


def sla_check(
    *,
    ticket_id: int,
    expected_check_at: datetime,
    now: datetime,
    cache: PolicyCache | None = None,
) -> int:
    """Fire the levels of one ticket that fell due by ``now``, each once; returns how many."""
    # A level is claimed with UPDATE … SET level = n WHERE level < n (and the check instant
    # still the one the sweep saw, so nothing fires on a ticket paused, resolved or
    # re-planned meanwhile). Only the sweep that claims it acts on it; the claim, the
    # escalations and their audit events commit together or not at all.
    cache = cache or PolicyCache()
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.sla_next_check_at != expected_check_at:
        return 0
    policy = cache.policy(ticket.sla_policy_id) if ticket.sla_policy_id else None
    points = checkpoints(ticket, policy, cache.calendar(policy)) if policy is not None else []
    due = sorted(
        (p for p in points if p.at <= now and p.level > getattr(ticket, LEVEL_FIELDS[p.target])),
        key=lambda p: (p.at, p.level),
    )
    levels_before = {target: getattr(ticket, field) for target, field in LEVEL_FIELDS.items()}
    with transaction.atomic():
        claimed = []
        for point in due:
            field = LEVEL_FIELDS[point.target]
            won = Ticket.objects.filter(
                pk=ticket_id,
                sla_next_check_at=expected_check_at,
                **{f"{field}__lt": point.level},
            ).update(**{field: point.level})
            if won:
                claimed.append(point)
        # Our claim holds the row; read it again, fresh, to act on it.
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        if not claimed and ticket.sla_next_check_at != expected_check_at:
            return 0  # another sweep handled it
        if policy is not None and ticket.sla_policy_id == policy.pk:
            ticket.sla_policy = policy  # with its rules and calendar already loaded
        state_before = ticket.sla_state
        fields = set(SLA_FIELDS)
        _reschedule(ticket, now, cache)
        for i, point in enumerate(claimed):
            previous, levels_before[point.target] = levels_before[point.target], point.level
            last = i == len(claimed) - 1
            fields |= _fire(ticket, policy, point, previous, now, state_before if last else None)
        ticket.save(update_fields=sorted(fields))
    return len(claimed)


LEVEL_NOTES = {
    SLATarget.RESPONSE: (
        gettext_lazy("%(level)s%% of the response time used."),
        gettext_lazy("Response target breached."),
    ),
    SLATarget.RESOLUTION: (
        gettext_lazy("%(level)s%% of the resolution time used."),
        gettext_lazy("Resolution target breached."),
    ),
}


def audit_record(**kwargs: Any) -> AuditEvent:
    """The ticket services' audit record (imported late: those services call this module)."""
    from .services import audit_record as record

    return record(**kwargs)


def level_note(target: str, level: int) -> str:
    warning, breach = LEVEL_NOTES[target]
    return str(breach) if level == BREACH else str(warning) % {"level": level}


def _fire(
    ticket: Ticket,
    policy: SLAPolicy,
    point: Checkpoint,
    previous: int,
    at: datetime,
    state_before: str | None,
) -> set[str]:
    """Put the level reached on the timeline and run the policy's rules for it."""
    field = LEVEL_FIELDS[point.target]
    changes: dict[str, Any] = {field: {"from": previous, "to": point.level}}
    if state_before is not None and ticket.sla_state != state_before:
        changes["sla_state"] = {"from": state_before, "to": ticket.sla_state}
    audit_record(
        ticket=ticket,
        actor=None,
        action=AuditAction.SLA,
        changes=changes,
        note=level_note(point.target, point.level),
        internal=True,
    )
    fields: set[str] = set()
    for rule in policy.escalation_rules.all():
        if rule.target == point.target and rule.threshold == point.level:
            fields |= escalate(ticket, rule, point, at)
    return fields


def escalate(ticket: Ticket, rule: EscalationRule, point: Checkpoint, at: datetime) -> set[str]:
    """Run one escalation rule on a locked ticket, on its timeline; returns the fields changed."""
    # Notifications leave after commit.
    changes: dict[str, Any] = {
        "escalation": {
            "from": None,
            "to": {"rule": rule.pk, "target": rule.target, "threshold": rule.threshold},
        }
    }
    recipients: list[User] = []
    fields: set[str] = set()
    if rule.action == EscalationAction.NOTIFY_ASSIGNEE:
        recipients = [ticket.assignee] if ticket.assignee_id else []
    elif rule.action == EscalationAction.NOTIFY_TEAM_LEAD:
        recipients = [
            m.user
            for m in Membership.objects.filter(
                team_id=ticket.assignment_group_id, is_lead=True, user__is_active=True
            )
            .select_related("user")
            .order_by("user_id")
        ]
    elif rule.action == EscalationAction.RAISE_PRIORITY and ticket.priority > Priority.CRITICAL:
        changes["priority"] = {"from": ticket.priority, "to": ticket.priority - 1}
        ticket.priority -= 1
        ticket.priority_override_reason = level_note(point.target, point.level)
        ticket.priority_overridden_by = None
        ticket.priority_overridden_at = at
        fields |= {"priority", "priority_override_reason", "priority_overridden_by"}
        fields |= {"priority_overridden_at", *sla_priority_changed(ticket, at=at)}
    elif rule.action == EscalationAction.REASSIGN and ticket.assignment_group_id != rule.team_id:
        changes["assignment_group"] = {"from": ticket.assignment_group_id, "to": rule.team_id}
        if ticket.assignee_id is not None:
            changes["assignee"] = {"from": ticket.assignee_id, "to": None}
        ticket.assignment_group_id, ticket.assignee_id = rule.team_id, None
        fields |= {"assignment_group", "assignee"}
    if fields:
        ticket.version += 1
        fields |= {"version", "updated_at"}
    if recipients:
        changes["notified"] = {"from": None, "to": [user.pk for user in recipients]}
    event = audit_record(
        ticket=ticket,
        actor=None,
        action=AuditAction.ESCALATED,
        changes=changes,
        note=f"{level_note(point.target, point.level)} {rule.get_action_display()}.",
        internal=True,
    )
    if recipients:
        from .tasks import send_sla_escalation_email

        transaction.on_commit(lambda: send_sla_escalation_email.delay(event.pk))
    return fields


def send_escalation_email(event_id: int) -> int:
    """Email the people an escalation notifies; returns how many messages went (0 or 1)."""
    # The one place that sends, so that it can move behind the outbox as it is.
    event = (
        AuditEvent.objects.select_related("ticket")
        .filter(pk=event_id, action=AuditAction.ESCALATED)
        .first()
    )
    notified = (event.changes.get("notified") or {}).get("to") if event else None
    if not notified:
        return 0
    addresses = list(
        User.objects.filter(pk__in=notified, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not addresses:
        return 0
    ticket = event.ticket
    subject = _("[%(number)s] SLA escalation: %(note)s") % {
        "number": ticket.number,
        "note": event.note,
    }
    body = _(
        "%(number)s %(title)s\n\n%(note)s\n\nResponse due: %(response)s\n"
        "Resolution due: %(resolution)s\n"
    ) % {
        "number": ticket.number,
        "title": ticket.title,
        "note": event.note,
        "response": _format(ticket.response_due_at),
        "resolution": _format(ticket.resolution_due_at),
    }
    return send_mail(subject, body, None, addresses)


def _format(instant: datetime | None) -> str:
    return instant.isoformat(timespec="minutes") if instant else "—"


# --- calendars and policies: the writes behind the admin and the API -------------------------

WorkingHours = Iterable[tuple[int, time, time]]


def _clean(instance: Any, **kwargs: Any) -> None:
    """Validate a row as a form would (constraints included); a failure is a 400."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationFailed(
                fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            ) from exc
        raise ValidationFailed("; ".join(exc.messages)) from exc


def _check_working_hours(hours: list[tuple[int, time, time]]) -> None:
    """Each span within its day; spans of one day never overlap."""
    try:
        snapshot = CalendarSnapshot.build("UTC", hours)
    except ValueError as exc:
        raise ValidationFailed(
            fields={"working_hours": [_("Each span must end after it starts (24:00 at most).")]}
        ) from exc
    spans = sum(len(day) for day in snapshot.spans)
    if spans != len(hours):
        raise ValidationFailed(
            fields={"working_hours": [_("Spans of the same day must not overlap or touch.")]}
        )


@transaction.atomic
def business_calendar_save(
    *,
    calendar: BusinessCalendar,
    data: Mapping[str, Any],
    working_hours: WorkingHours | None = None,
    holidays: Iterable[date] | None = None,
) -> BusinessCalendar:
    """Create or change a calendar; given hours and holidays replace the ones it had."""
    # Due times already set stay as they are; new ones follow the calendar as it is now.
    unknown = set(data) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationFailed(fields={f: [_("Unknown field.")] for f in sorted(unknown)})
    for field, value in data.items():
        setattr(calendar, field, value)
    _clean(calendar)
    calendar.save()
    if working_hours is not None:
        hours = sorted(working_hours)
        _check_working_hours(hours)
        calendar.working_periods.all().delete()
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(calendar=calendar, weekday=day, start=start, end=end)
            for day, start, end in hours
        )
    if holidays is not None:
        wanted = set(holidays)
        calendar.holidays.exclude(date__in=wanted).delete()
        kept = set(calendar.holidays.values_list("date", flat=True))
        Holiday.objects.bulk_create(
            Holiday(calendar=calendar, date=day) for day in sorted(wanted - kept)
        )
    return calendar


CALENDAR_FIELDS = ("name", "timezone", "description", "holiday_country", "holiday_subdivision")


@transaction.atomic
def business_calendar_load_holidays(*, calendar: BusinessCalendar, years: Iterable[int]) -> int:
    """Add the country's public holidays for ``years`` (idempotent); returns how many were new."""
    import holidays as public_holidays

    if not calendar.holiday_country:
        raise ValidationFailed(
            fields={"holiday_country": [_("Choose the country whose holidays to load.")]}
        )
    years = sorted(set(years))
    if not years or any(not 1900 <= year <= 2200 for year in years):
        raise ValidationFailed(fields={"years": [_("Give years from 1900 to 2200.")]})
    found = public_holidays.country_holidays(
        calendar.holiday_country, subdiv=calendar.holiday_subdivision or None, years=years
    )
    kept = set(calendar.holidays.values_list("date", flat=True))
    new = [
        Holiday(calendar=calendar, date=day, name=str(name)[:100])
        for day, name in sorted(found.items())
        if day not in kept
    ]
    Holiday.objects.bulk_create(new)
    calendar.save(update_fields=["updated_at"])
    return len(new)


POLICY_FIELDS = (
    "name",
    "practice",
    "priority",
    "service",
    "calendar",
    "response_minutes",
    "resolution_minutes",
    "warning_thresholds",
    "is_active",
)


@transaction.atomic
def sla_policy_save(
    *,
    policy: SLAPolicy,
    data: Mapping[str, Any],
    escalation_rules: Iterable[Mapping[str, Any]] | None = None,
) -> SLAPolicy:
    """Create or change a policy; given escalation rules replace the ones it had."""
    # Tickets keep the due times they have; the policy applies to what is computed next.
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(fields={f: [_("Unknown field.")] for f in sorted(unknown)})
    for field, value in data.items():
        setattr(policy, field, value)
    if isinstance(policy.warning_thresholds, list):
        policy.warning_thresholds = sorted(policy.warning_thresholds)
    _clean(policy)
    policy.save()
    rules = list(escalation_rules) if escalation_rules is not None else None
    if rules is None:
        rules = [
            {"target": r.target, "threshold": r.threshold, "action": r.action, "team": r.team}
            for r in policy.escalation_rules.all()
        ]
    else:
        policy.escalation_rules.all().delete()
    seen: set[tuple[Any, ...]] = set()
    for index, rule in enumerate(rules):
        key = (rule.get("target"), rule.get("threshold"), rule.get("action"))
        if key in seen:
            raise ValidationFailed(
                fields={f"escalation_rules.{index}": [_("This rule is there twice.")]}
            )
        seen.add(key)
        row = EscalationRule(policy=policy, **rule)
        try:
            _clean(row, exclude=["policy"])
        except ValidationFailed as exc:
            raise ValidationFailed(
                fields={f"escalation_rules.{index}.{k}": v for k, v in exc.fields.items()}
                or {f"escalation_rules.{index}": [exc.message]}
            ) from exc
        if escalation_rules is not None:
            row.save()
    return policy
