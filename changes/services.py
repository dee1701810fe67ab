"""Writes of the change practice: raising and editing changes, every transition, CAB votes,
scheduling against freezes and other changes, standard templates and freeze periods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from problems.choices import ProblemStatus
from problems.models import Problem
from servicedesk.core import permissions as core_permissions
from servicedesk.core import services as core
from servicedesk.core.choices import AuditAction, LinkKind
from servicedesk.core.errors import (
    Conflict,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
    require_text,
)
from servicedesk.core.models import ConfigurationItem, Service, Team, Ticket, User

from . import permissions, risk
from .cab import Board, board_for
from .choices import (
    OCCUPYING_STATUSES,
    TERMINAL_STATUSES,
    CABDecision,
    ChangeOutcome,
    ChangeStatus,
    ChangeType,
    RiskLevel,
    VoteDecision,
)
from .models import (
    CABVote,
    CalendarFeedToken,
    Change,
    FreezePeriod,
    StandardChangeTemplate,
    hash_feed_token,
)

S = ChangeStatus

PLAN_FIELDS = ("implementation_plan", "backout_plan", "test_plan")
RISK_FIELDS = ("risk", "risk_reason", "risk_assessment")
WINDOW_FIELDS = ("planned_start", "planned_end")
# What a draft or a change under assessment may still have changed besides the core fields.
CONTENT_FIELDS = ("change_type", *RISK_FIELDS, *PLAN_FIELDS, *WINDOW_FIELDS)
RELATION_FIELDS = ("services", "configuration_items")


class ScheduleConflict(Conflict):
    """The window overlaps a freeze or, without an override, another change on the same CI."""

    code = "schedule_conflict"
    default_message = "The planned window conflicts with the change calendar."


# --- helpers -------------------------------------------------------------------------


def _choice(name: str, value: str, choices: type) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            fields={name: [_("“%(value)s” is not a valid choice.") % {"value": value}]}
        )


def _prepare(change: Change, by: User | None, name: str, expected_version: int | None) -> Change:
    """The change locked, at the version the caller saw, with ``name`` allowed now and to them.

    Checked before the transition's own fields, so that a transition not allowed in this
    state is a 409 whatever its body holds.
    """
    change = core.lock_ticket(change)
    core.check_version(change, expected_version)
    method = getattr(change, name)
    if not can_proceed(method):
        raise TransitionNotAllowed(
            _("“%(name)s” is not allowed while the change is %(status)s.")
            % {"name": name, "status": change.get_status_display().lower()}
        )
    if by is not None and not has_transition_perm(method, by):
        raise NotPermitted(_("You may not run “%(name)s” on this change.") % {"name": name})
    return change


def _bump(change: Change, fields: Iterable[str] = ()) -> None:
    change.version += 1
    change.save(update_fields=[*fields, "version", "updated_at"])


def _ids(objects: Iterable[Any]) -> list[int]:
    return sorted(obj.pk for obj in objects)


def risk_values(
    *, risk_level: str = "", risk_reason: str = "", risk_assessment: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The stored risk fields: computed from the questionnaire, or set by hand with a reason."""
    answers = dict(risk_assessment or {})
    if answers:
        errors: dict[str, list[str]] = {}
        if risk_level:
            errors["risk"] = [
                _("Answer the risk questionnaire or set the risk with a reason, not both.")
            ]
        unknown = sorted(set(answers) - set(risk.QUESTION_NAMES))
        missing = risk.missing_answers(answers)
        if unknown or missing:
            errors["risk_assessment"] = [
                _("Answer every question with yes or no: %(names)s.")
                % {"names": ", ".join(missing or unknown)}
            ]
        if errors:
            raise ValidationFailed(fields=errors)
        return {
            "risk": risk.risk_from_answers(answers),
            "risk_reason": "",
            "risk_assessment": {name: answers[name] for name in risk.QUESTION_NAMES},
        }
    if risk_level:
        _choice("risk", risk_level, RiskLevel)
        if not (risk_reason or "").strip():
            raise ValidationFailed(
                fields={
                    "risk_reason": [
                        _("Say why the risk is set by hand, or answer the risk questionnaire.")
                    ]
                }
            )
        return {"risk": risk_level, "risk_reason": risk_reason.strip(), "risk_assessment": {}}
    return {"risk": "", "risk_reason": "", "risk_assessment": {}}


# --- creating and editing --------------------------------------------------------------


@transaction.atomic
def change_create(
    *,
    by: User,
    title: str,
    description: str = "",
    change_type: str = ChangeType.NORMAL,
    impact: int = 2,
    urgency: int = 2,
    service: Service | None = None,
    risk: str = "",
    risk_reason: str = "",
    risk_assessment: Mapping[str, Any] | None = None,
    implementation_plan: str = "",
    backout_plan: str = "",
    test_plan: str = "",
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    services: Iterable[Service] = (),
    configuration_items: Iterable[ConfigurationItem] = (),
    assignment_group: Team | None = None,
    assignee: User | None = None,
) -> Change:
    """Raise a normal or emergency change as a draft; the caller is its requester."""
    if not permissions.can_raise(by):
        raise NotPermitted(_("Only agents raise changes."))
    _choice("change_type", change_type, ChangeType)
    if change_type == ChangeType.STANDARD:
        raise ValidationFailed(
            fields={"change_type": [_("Standard changes are made from a standard template.")]}
        )
    change = Change(
        title=title,
        description=description,
        change_type=change_type,
        impact=impact,
        urgency=urgency,
        service=service,
        requester=by,
        assignment_group=assignment_group,
        assignee=assignee,
        implementation_plan=implementation_plan,
        backout_plan=backout_plan,
        test_plan=test_plan,
        planned_start=planned_start,
        planned_end=planned_end,
        **risk_values(risk_level=risk, risk_reason=risk_reason, risk_assessment=risk_assessment),
    )
    return _create(change, by=by, services=services, configuration_items=configuration_items)


@transaction.atomic
def change_raise_for_problem(
    *,
    problem: Problem,
    by: User,
    title: str = "",
    change_type: str = ChangeType.NORMAL,
) -> Change:
    """Raise a draft change for a problem's permanent fix, linked to the problem.

    The draft starts from the problem: its title, service, affected services, CIs and team,
    and a description that cites the root cause; the planner fills in the plans and the
    window. Only someone who works the problem may raise it.
    """
    if not core_permissions.can_work_ticket(by, problem):
        raise NotPermitted(_("You do not work on this problem."))
    if problem.status == ProblemStatus.CANCELLED:
        raise ValidationFailed(fields={"problem": [_("The problem is cancelled.")]})
    description = _("Permanent fix for problem %(number)s.") % {"number": problem.number}
    if problem.root_cause.strip():
        description += "\n\n" + _("Root cause: %(cause)s") % {"cause": problem.root_cause.strip()}
    change = change_create(
        by=by,
        title=(title.strip() or _("Fix: %(title)s") % {"title": problem.title})[:200],
        description=description,
        change_type=change_type,
        impact=problem.impact,
        urgency=problem.urgency,
        service=problem.service,
        services=problem.affected_services.all(),
        configuration_items=problem.configuration_items.all(),
        assignment_group=problem.assignment_group,
    )
    core.link_add(source=change, target=problem, kind=LinkKind.RELATES_TO, by=by)
    return change


def _create(
    change: Change,
    *,
    by: User,
    services: Iterable[Service],
    configuration_items: Iterable[ConfigurationItem],
) -> Change:
    change = core.ticket_create(ticket=change, by=by, configuration_items=configuration_items)
    affected = list(services)
    if affected:
        change.services.set(affected)
        core.audit_record(
            ticket=change,
            actor=by,
            action=AuditAction.CHANGED,
            changes={"services": {"from": [], "to": _ids(affected)}},
        )
    return change


@transaction.atomic
def standard_change_create(
    *,
    template: StandardChangeTemplate,
    by: User,
    planned_start: datetime,
    planned_end: datetime | None = None,
    title: str = "",
    description: str = "",
    configuration_items: Iterable[ConfigurationItem] | None = None,
    services: Iterable[Service] | None = None,
) -> Change:
    """Instantiate a pre-approved standard change from its template, as a draft."""
    if not permissions.can_raise(by):
        raise NotPermitted(_("Only agents raise changes."))
    if not template.is_active:
        raise ValidationFailed(fields={"template": [_("This template is no longer in use.")]})
    try:
        planned_end = planned_end or planned_start + template.duration
    except OverflowError as exc:
        raise ValidationFailed(
            fields={"planned_start": [_("The window would end after the year 9999.")]}
        ) from exc
    change = Change(
        title=(title or "").strip() or template.name,
        description=description or template.description,
        change_type=ChangeType.STANDARD,
        template=template,
        impact=3,
        urgency=3,
        requester=by,
        assignment_group=template.assignment_group,
        risk=template.risk,
        risk_reason=_("Pre-approved standard change “%(name)s”.") % {"name": template.name},
        implementation_plan=template.implementation_plan,
        backout_plan=template.backout_plan,
        test_plan=template.test_plan,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    return _create(
        change,
        by=by,
        services=template.services.all() if services is None else services,
        configuration_items=(
            template.configuration_items.all()
            if configuration_items is None
            else configuration_items
        ),
    )


def editable_fields(change: Change) -> frozenset[str]:
    """What may still be changed on ``change`` in its state.

    Content (type, risk, plans, window, services, CIs) only before authorization: the CAB
    votes on a fixed change. The window of an approved change that could not be
    scheduled may move. A standard change keeps its template's type, risk and plans.
    """
    if change.status in TERMINAL_STATUSES:
        return frozenset()
    fields = set(core.EDITABLE_FIELDS)
    if change.status in (S.DRAFT, S.ASSESSMENT):
        fields |= {*WINDOW_FIELDS, *RELATION_FIELDS}
        if not change.is_standard:
            fields |= set(CONTENT_FIELDS)
    elif change.status == S.AUTHORIZATION and change.is_cab_approved:
        fields |= set(WINDOW_FIELDS)
    return frozenset(fields)


def _differs(change: Change, field: str, value: Any) -> bool:
    if field in RELATION_FIELDS:
        return set(getattr(change, field).values_list("pk", flat=True)) != {v.pk for v in value}
    return getattr(change, field) != value


@transaction.atomic
def change_update(
    *,
    change: Change,
    by: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Change:
    """Edit a change's fields, as far as its state allows (agents who work it only)."""
    if not permissions.can_work(change, by):
        raise NotPermitted(_("You do not work on this change."))
    change = core.lock_ticket(change)
    core.check_version(change, expected_version)
    data = dict(data)
    allowed = editable_fields(change)
    refused = sorted(f for f, v in data.items() if f not in allowed and _differs(change, f, v))
    if refused:
        raise ValidationFailed(
            fields={
                f: [
                    _("This cannot be changed while the change is %(status)s.")
                    % {"status": change.get_status_display().lower()}
                ]
                for f in refused
            }
        )
    data = {f: v for f, v in data.items() if f in allowed}
    if data.get("change_type") == ChangeType.STANDARD:
        raise ValidationFailed(
            fields={"change_type": [_("Standard changes are made from a standard template.")]}
        )
    if {"risk", "risk_assessment"} & set(data):
        data.update(
            risk_values(
                risk_level=data.get("risk", ""),
                risk_reason=data.get("risk_reason", ""),
                risk_assessment=data.get("risk_assessment"),
            )
        )
    elif "risk_reason" in data:
        if change.risk_assessment or not change.risk:
            data.pop("risk_reason")
        else:
            require_text(risk_reason=data["risk_reason"])
            data["risk_reason"] = data["risk_reason"].strip()
    affected = data.pop("services", None)
    editable = [f for f in allowed if f not in RELATION_FIELDS]
    change = core.ticket_update(ticket=change, by=by, data=data, editable=editable)
    if affected is not None and _differs(change, "services", affected):
        before = sorted(change.services.values_list("pk", flat=True))
        change.services.set(affected)
        _bump(change)
        core.audit_record(
            ticket=change,
            actor=by,
            action=AuditAction.CHANGED,
            changes={"services": {"from": before, "to": _ids(affected)}},
        )
    return change


@transaction.atomic
def change_assign(
    *,
    change: Change,
    by: User,
    group: Team | None,
    assignee: User | None,
    expected_version: int | None = None,
) -> Change:
    """Route or reassign a change; only agents who work it (or a change manager) may."""
    if not permissions.can_work(change, by):
        raise NotPermitted(_("You do not work on this change."))
    return core.ticket_assign(
        ticket=change, by=by, group=group, assignee=assignee, expected_version=expected_version
    )


# --- scheduling -------------------------------------------------------------------------


def overlapping_changes(
    *, start: datetime, end: datetime, ci_ids: Iterable[int], exclude: int | None = None
) -> list[Change]:
    """Scheduled or implementing changes on any of these CIs whose window overlaps [start, end)."""
    ci_ids = list(ci_ids)
    if not ci_ids:
        return []
    through = Ticket.configuration_items.through
    on_same_ci = Exists(
        through.objects.filter(ticket_id=OuterRef("pk"), configurationitem_id__in=ci_ids)
    )
    return list(
        Change.objects.filter(
            on_same_ci,
            status__in=OCCUPYING_STATUSES,
            planned_start__lt=end,
            planned_end__gt=start,
        )
        .exclude(pk=exclude)
        .only("number", "title", "planned_start", "planned_end")
        .order_by("planned_start", "pk")
    )


def overlapping_freezes(*, start: datetime, end: datetime) -> list[FreezePeriod]:
    """Freeze periods that overlap [start, end)."""
    return list(FreezePeriod.objects.filter(start__lt=end, end__gt=start).order_by("start", "pk"))


def check_schedule(change: Change, *, lock: bool) -> list[Change]:
    """Refuse a window in a freeze, or over another change on a CI without an override.

    With ``lock`` (when the change is really put on the calendar) the rows of its CIs are
    locked in id order first, so that two changes scheduled at once on one CI queue here
    and the second sees the first. Returns the overlapping changes an override let through.
    """
    if change.planned_start is None or change.planned_end is None:
        raise ValidationFailed(
            fields={
                f: [_("Plan the window first.")] for f in WINDOW_FIELDS if not getattr(change, f)
            }
        )
    ci_ids = sorted(change.configuration_items.values_list("pk", flat=True))
    if lock and ci_ids:
        list(
            ConfigurationItem.objects.select_for_update()
            .filter(pk__in=ci_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    start, end = change.planned_start, change.planned_end
    freezes = overlapping_freezes(start=start, end=end)
    if freezes:
        names = ", ".join(f"“{f.name}”" for f in freezes)
        raise ScheduleConflict(
            _("The planned window overlaps the change freeze %(names)s.") % {"names": names},
            fields={"planned_start": [_("Overlaps the freeze %(names)s.") % {"names": names}]},
        )
    others = overlapping_changes(start=start, end=end, ci_ids=ci_ids, exclude=change.pk)
    if others and not change.overlap_override_reason:
        numbers = ", ".join(other.number for other in others)
        raise ScheduleConflict(
            _(
                "The planned window overlaps %(numbers)s on the same configuration items; "
                "a change manager may override this with a reason."
            )
            % {"numbers": numbers},
            fields={
                "planned_start": [
                    _("Overlaps %(numbers)s on the same configuration items.")
                    % {"numbers": numbers}
                ]
            },
        )
    return others


def _accept_override(change: Change, by: User | None, reason: str) -> dict[str, Any]:
    """Record a change manager's acceptance of overlaps; returns the audit changes."""
    reason = (reason or "").strip()
    if not reason:
        return {}
    if by is None or not permissions.is_change_manager(by):
        raise NotPermitted(_("Only a change manager may override schedule overlaps."))
    before = change.overlap_override_reason
    change.overlap_override_reason = reason
    change.overlap_overridden_by = by
    change.save(update_fields=["overlap_override_reason", "overlap_overridden_by"])
    return {"overlap_override_reason": {"from": before or None, "to": reason}}


def _schedule_note(others: list[Change], change: Change) -> str:
    if not others:
        return ""
    return _("Scheduled over %(numbers)s by override: %(reason)s") % {
        "numbers": ", ".join(other.number for other in others),
        "reason": change.overlap_override_reason,
    }


# --- transitions -----------------------------------------------------------------------


def readiness_errors(change: Change) -> dict[str, list[str]]:
    """What a change still lacks before it can be submitted, per field."""
    errors: dict[str, list[str]] = {}
    for field in PLAN_FIELDS:
        if not getattr(change, field).strip():
            errors[field] = [_("Required before the change is submitted.")]
    if not change.risk:
        errors["risk"] = [
            _("Answer the risk questionnaire or set the risk with a reason before submitting.")
        ]
    for field in WINDOW_FIELDS:
        if getattr(change, field) is None:
            errors[field] = [_("Required before the change is submitted.")]
    if change.planned_start is not None and change.planned_start <= timezone.now():
        errors.setdefault("planned_start", []).append(_("The window must start in the future."))
    return errors


@transaction.atomic
def change_submit(
    *,
    change: Change,
    by: User,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Change:
    """Hand in a complete change: to assessment, or (standard) straight onto the calendar."""
    change = _prepare(change, by, "submit", expected_version)
    errors = readiness_errors(change)
    if errors:
        raise ValidationFailed(_("The change is not ready to be submitted."), fields=errors)
    audit: dict[str, Any] = {}
    note = ""
    if change.is_standard:
        audit = _accept_override(change, by, override_reason)
        note = _schedule_note(check_schedule(change, lock=True), change)
    elif override_reason:
        raise ValidationFailed(
            fields={"override_reason": [_("Only a standard change is scheduled on submission.")]}
        )
    return core.ticket_transition(ticket=change, by=by, name="submit", changes=audit, note=note)


@transaction.atomic
def change_request_authorization(
    *,
    change: Change,
    by: User,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Change:
    """Send the change to its board; its window must be free of freezes (and of overlaps)."""
    change = _prepare(change, by, "request_authorization", expected_version)
    board = board_for(change)
    if not board.voter_ids:
        raise Conflict(_("Nobody can authorise this change: its board has no members."))
    audit = _accept_override(change, by, override_reason)
    check_schedule(change, lock=False)
    change = core.ticket_transition(
        ticket=change, by=by, name="request_authorization", changes=audit
    )
    from .tasks import notify_board

    transaction.on_commit(lambda: notify_board.delay(change.pk))
    return change


@transaction.atomic
def change_schedule(
    *,
    change: Change,
    by: User,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Change:
    """Put an approved change on the calendar when the system could not (a conflict arose)."""
    change = _prepare(change, by, "schedule", expected_version)
    audit = _accept_override(change, by, override_reason)
    note = _schedule_note(check_schedule(change, lock=True), change)
    return core.ticket_transition(ticket=change, by=by, name="schedule", changes=audit, note=note)


@transaction.atomic
def change_start(*, change: Change, by: User, expected_version: int | None = None) -> Change:
    """Implementation begins; the actual start is recorded."""
    change = _prepare(change, by, "start", expected_version)
    return core.ticket_transition(ticket=change, by=by, name="start")


@transaction.atomic
def change_complete(
    *, change: Change, by: User, outcome: str, note: str = "", expected_version: int | None = None
) -> Change:
    """Implementation is over: successful, failed or backed out; the actual end is recorded."""
    change = _prepare(change, by, "complete", expected_version)
    require_text(outcome=outcome)
    _choice("outcome", outcome, ChangeOutcome)
    return core.ticket_transition(
        ticket=change,
        by=by,
        name="complete",
        note=(note or "").strip() or str(ChangeOutcome(outcome).label),
        changes={"outcome": {"from": None, "to": outcome}},
        outcome=outcome,
    )


@transaction.atomic
def change_close(
    *, change: Change, by: User, review_notes: str, expected_version: int | None = None
) -> Change:
    """Close the change with the notes of its post-implementation review."""
    change = _prepare(change, by, "close", expected_version)
    require_text(review_notes=review_notes)
    return core.ticket_transition(
        ticket=change,
        by=by,
        name="close",
        note=review_notes.strip(),
        review_notes=review_notes.strip(),
    )


@transaction.atomic
def change_cancel(
    *, change: Change, by: User, reason: str, expected_version: int | None = None
) -> Change:
    """Withdraw a change that is not being implemented yet."""
    change = _prepare(change, by, "cancel", expected_version)
    require_text(reason=reason)
    return core.ticket_transition(ticket=change, by=by, name="cancel", note=reason.strip())


TRANSITION_SERVICES = {
    "submit": change_submit,
    "request_authorization": change_request_authorization,
    "schedule": change_schedule,
    "start": change_start,
    "complete": change_complete,
    "close": change_close,
    "cancel": change_cancel,
}


def available_transitions(change: Change, user: User) -> list[str]:
    """The transitions ``user`` may run now: the core's, which change managers get everywhere."""
    if permissions.is_change_manager(user) and core_permissions.is_agent(user):
        return [t.name for t in change.get_available_user_status_transitions(user)]
    return core.available_transitions(change, user)


# --- the CAB ----------------------------------------------------------------------------


def can_vote(change: Change, user: User, board: Board | None = None) -> bool:
    """Whether ``user`` may vote on ``change`` now."""
    if change.status != S.AUTHORIZATION or change.cab_decision != CABDecision.PENDING:
        return False
    board = board or board_for(change)
    return user.pk in board.voter_ids


@transaction.atomic
def change_vote(
    *,
    change: Change,
    by: User,
    decision: str,
    comment: str,
    expected_version: int | None = None,
) -> CABVote:
    """Record a board member's vote (or their changed vote) and let the quorum rule decide.

    A member votes once and may change their vote until the board has decided. When the
    rule decides, the change is scheduled or rejected by the system in this transaction.
    """
    require_text(decision=decision, comment=comment)
    _choice("decision", decision, VoteDecision)
    change = core.lock_ticket(change)
    core.check_version(change, expected_version)
    if change.status != S.AUTHORIZATION or change.cab_decision != CABDecision.PENDING:
        raise Conflict(_("Voting on this change is closed."))
    board = board_for(change)
    if by.pk not in board.voter_ids:
        raise NotPermitted(_("You are not on the board that authorises this change."))
    vote = CABVote.objects.filter(change=change, voter=by).first()
    before = vote.decision if vote else None
    if vote is None:
        vote = CABVote.objects.create(
            change=change, voter=by, decision=decision, comment=comment.strip()
        )
    else:
        vote.decision = decision
        vote.comment = comment.strip()
        vote.save(update_fields=["decision", "comment", "updated_at"])
    core.audit_record(
        ticket=change,
        actor=by,
        action=AuditAction.CHANGED,
        changes={"cab_vote": {"from": before, "to": decision}},
        note=comment.strip(),
        internal=True,
    )
    votes = dict(CABVote.objects.filter(change=change).values_list("voter_id", "decision"))
    outcome = board.decide(votes)
    if outcome != CABDecision.PENDING:
        _apply_decision(change, board, votes, outcome)
    return vote


def _decision_summary(board: Board, votes: Mapping[int, str], outcome: str) -> str:
    counted = [d for voter, d in votes.items() if voter in board.voter_ids]
    summary = _(
        "CAB decision: %(outcome)s (%(approvals)s approved, %(rejections)s rejected "
        "of %(members)s; %(required)s approvals needed)."
    ) % {
        "outcome": CABDecision(outcome).label.lower(),
        "approvals": counted.count(VoteDecision.APPROVE),
        "rejections": counted.count(VoteDecision.REJECT),
        "members": len(board.voter_ids),
        "required": board.required,
    }
    vetoed = [
        voter
        for voter, d in votes.items()
        if d == VoteDecision.REJECT and voter in board.manager_ids and voter in board.voter_ids
    ]
    if outcome == CABDecision.REJECTED and vetoed:
        summary += " " + _("Rejected by a change manager.")
    return summary


def _apply_decision(change: Change, board: Board, votes: Mapping[int, str], outcome: str) -> None:
    """The system's own transition after the deciding vote: scheduled or rejected."""
    change.cab_decision = outcome
    change.cab_decided_at = timezone.now()
    change.save(update_fields=["cab_decision", "cab_decided_at"])
    decided = {"cab_decision": {"from": CABDecision.PENDING, "to": outcome}}
    note = _decision_summary(board, votes, outcome)
    from .tasks import notify_decision

    transaction.on_commit(lambda: notify_decision.delay(change.pk))
    if outcome == CABDecision.REJECTED:
        core.ticket_transition(ticket=change, by=None, name="reject", note=note, changes=decided)
        return
    try:
        others = check_schedule(change, lock=True)
    except ScheduleConflict as exc:
        # Approved all the same; someone moves the window (or overrides) and schedules it.
        _bump(change)
        core.audit_record(
            ticket=change,
            actor=None,
            action=AuditAction.CHANGED,
            changes=decided,
            note=note + " " + _("It could not be scheduled: %(why)s") % {"why": exc.message},
        )
        return
    extra = _schedule_note(others, change)
    core.ticket_transition(
        ticket=change,
        by=None,
        name="schedule",
        note=f"{note} {extra}".strip(),
        changes=decided,
    )


# --- freeze periods -----------------------------------------------------------------------

FREEZE_FIELDS = ("name", "reason", "start", "end")


def _clean_and_save(instance: Any, fields: list[str] | None = None) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        ) from exc
    if fields is None:
        instance.save()
    elif fields:
        instance.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def freeze_period_create(
    *, by: User, name: str, start: datetime, end: datetime, reason: str = ""
) -> FreezePeriod:
    """Declare a change freeze: no change may be scheduled in it from now on."""
    if not permissions.can_manage_freezes(by):
        raise NotPermitted(_("Only change managers declare freezes."))
    freeze = FreezePeriod(name=name, reason=reason, start=start, end=end, created_by=by)
    _clean_and_save(freeze)
    return freeze


@transaction.atomic
def freeze_period_update(
    *, freeze: FreezePeriod, by: User, data: Mapping[str, Any]
) -> FreezePeriod:
    """Change a freeze's name, reason or window."""
    if not permissions.can_manage_freezes(by):
        raise NotPermitted(_("Only change managers change freezes."))
    unknown = set(data) - set(FREEZE_FIELDS)
    if unknown:
        raise ValidationFailed(
            fields={f: [_("This field cannot be changed here.")] for f in sorted(unknown)}
        )
    for field, value in data.items():
        setattr(freeze, field, value)
    _clean_and_save(freeze, list(data))
    return freeze


# --- calendar feed tokens -----------------------------------------------------------------


@transaction.atomic
def calendar_feed_token_issue(*, user: User) -> str:
    """A new secret for the user's calendar feed URL; any earlier one stops working."""
    secret = CalendarFeedToken.new_secret()
    CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"token_hash": hash_feed_token(secret), "last_used_at": None}
    )
    return secret


@transaction.atomic
def calendar_feed_token_revoke(*, user: User) -> None:
    """Turn the user's calendar feed off."""
    CalendarFeedToken.objects.filter(user=user).delete()


def user_for_feed_token(secret: str) -> User | None:
    """The active user whose feed this secret opens, or None."""
    if not secret or len(secret) > 100:
        return None
    token = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=hash_feed_token(secret), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 3600:
        # Recorded at most hourly: calendar apps poll often.
        CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
