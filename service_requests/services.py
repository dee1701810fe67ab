"""Writes of the service request practice: ordering, approvals, fulfilment tasks, transitions.

Every status change of a request goes through ``core.ticket_transition`` (row lock,
version check, FSM permission, audit). What the system does by itself — routing a
new order to its approvers, starting fulfilment, fulfilling the request when its
last task is done — runs with ``by=None`` in the same transaction as its cause, so
it shows in the history like any other transition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed
from django_fsm import can_proceed, has_transition_perm

from servicedesk.core import services as core
from servicedesk.core.choices import AuditAction, Impact, Urgency
from servicedesk.core.errors import (
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
    require_text,
)
from servicedesk.core.models import (
    ConfigurationItem,
    Membership,
    Service,
    Team,
    Ticket,
    User,
)
from servicedesk.core.numbering import next_number

from . import permissions
from .choices import (
    OPEN_TASK_STATUSES,
    TASK_NUMBER_PREFIX,
    ApprovalStatus,
    ApproverKind,
    TaskStatus,
)
from .forms import validate_answers
from .models import (
    Approval,
    ApprovalStep,
    CatalogItem,
    FormField,
    FulfilmentTask,
    ServiceRequest,
    TaskTemplate,
)

# --- ordering ----------------------------------------------------------------------------


def approval_route(*, item: CatalogItem, requester: User) -> list[Approval]:
    """The item's approval steps resolved for ``requester`` (unsaved), or a clear refusal.

    A manager step needs an active manager on record; a team step needs an active team
    with someone other than the requester in it. Either missing, nobody could ever
    decide, so the order is refused now rather than left waiting forever.
    """
    route = []
    for number, step in enumerate(item.approval_steps.select_related("team"), start=1):
        if step.approver == ApproverKind.MANAGER:
            manager = requester.manager
            if manager is None or not manager.is_active or manager.pk == requester.pk:
                message = _(
                    "“%(item)s” needs the approval of the requester's manager, and %(who)s has "
                    "no manager on record. Ask the service desk to record one, then order again."
                ) % {"item": item.name, "who": requester.display_name}
                raise ValidationFailed(message, fields={"catalog_item": [message]})
            route.append(Approval(step=number, kind=ApproverKind.MANAGER, approver=manager))
        else:
            team = step.team
            deciders = Membership.objects.filter(team=team, user__is_active=True).exclude(
                user=requester
            )
            if not team.is_active or not deciders.exists():
                message = _(
                    "“%(item)s” needs the approval of %(team)s, which has nobody to decide."
                ) % {"item": item.name, "team": team.name}
                raise ValidationFailed(message, fields={"catalog_item": [message]})
            route.append(Approval(step=number, kind=ApproverKind.TEAM, team=team))
    return route


def _answer_errors(form: Any) -> dict[str, list[str]]:
    """The form's errors named as the API names them: ``answers.laptop_model``."""
    return {
        "answers" if name == "__all__" else f"answers.{name}": [str(m) for m in messages]
        for name, messages in form.errors.items()
    }


@transaction.atomic
def request_create(
    *,
    by: User,
    catalog_item: CatalogItem,
    answers: Mapping[str, Any] | Any,
    requester: User | None = None,
    title: str = "",
    description: str = "",
    impact: int = Impact.LOW,
    urgency: int = Urgency.MEDIUM,
    assignment_group: Team | None = None,
    assignee: User | None = None,
    service: Service | None = None,
    configuration_items: Iterable[ConfigurationItem] = (),
) -> ServiceRequest:
    """Order a catalog item: validate the answers, route to approval or straight to fulfilment.

    The item's owner team gets the request and its service is the request's; agents who
    order may route it elsewhere, name a service or the CIs concerned instead.
    """
    requester = requester or by
    configuration_items = list(configuration_items)
    agent_only = (assignment_group, assignee, service, *configuration_items)
    if not permissions.can_order_for_others(by) and (
        requester.pk != by.pk or any(value is not None for value in agent_only)
    ):
        raise NotPermitted(_("Only agents can order for someone else or route an order."))
    if not catalog_item.is_active:
        raise ValidationFailed(
            fields={"catalog_item": [_("This item cannot be ordered any more.")]}
        )
    form = validate_answers(catalog_item, answers)
    if not form.is_valid():
        raise ValidationFailed(fields=_answer_errors(form))
    route = approval_route(item=catalog_item, requester=requester)
    service_request = ServiceRequest(
        title=(title or "").strip() or catalog_item.name,
        description=description,
        impact=impact,
        urgency=urgency,
        requester=requester,
        catalog_item=catalog_item,
        answers=form.answers_json(),
        assignment_group=assignment_group or catalog_item.owner_team,
        assignee=assignee,
        service=service or catalog_item.service,
    )
    service_request = core.ticket_create(
        ticket=service_request, by=by, configuration_items=configuration_items
    )
    if route:
        for approval in route:
            approval.request = service_request
            approval.status = (
                ApprovalStatus.PENDING if approval.step == 1 else ApprovalStatus.WAITING
            )
        Approval.objects.bulk_create(route)
        first = route[0]
        service_request = core.ticket_transition(
            ticket=service_request,
            by=None,
            name="submit_for_approval",
            note=_("Sent for approval to %(who)s.") % {"who": approver_label(first)},
            step=first.step,
        )
        _notify_approvers(first)
    else:
        service_request = start_fulfilment(
            service_request=service_request,
            by=None,
            note=_("No approval needed: fulfilment starts."),
        )
    return service_request


def approver_label(approval: Approval) -> str:
    if approval.kind == ApproverKind.MANAGER:
        return _("%(name)s (manager)") % {"name": approval.approver.display_name}
    return _("team %(team)s") % {"team": approval.team.name}


def _notify_approvers(approval: Approval) -> None:
    from .tasks import notify_approvers

    approval_id = approval.pk
    transaction.on_commit(lambda: notify_approvers.delay(approval_id))


@transaction.atomic
def request_update(
    *,
    service_request: ServiceRequest,
    by: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ServiceRequest:
    """Edit a request's ticket fields (agents who work it only); the answers are the order."""
    if not permissions.can_work(service_request, by):
        raise NotPermitted(_("You do not work on this request."))
    return core.ticket_update(
        ticket=service_request, by=by, data=data, expected_version=expected_version
    )


@transaction.atomic
def request_assign(
    *,
    service_request: ServiceRequest,
    by: User,
    group: Team | None,
    assignee: User | None,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Route or reassign a request by hand; only agents who work it may."""
    if not permissions.can_work(service_request, by):
        raise NotPermitted(_("You do not work on this request."))
    return core.ticket_assign(
        ticket=service_request,
        by=by,
        group=group,
        assignee=assignee,
        expected_version=expected_version,
    )


# --- approvals -------------------------------------------------------------------------------


def _current_approval(service_request: ServiceRequest) -> Approval | None:
    if service_request.approval_step is None:
        return None
    return (
        Approval.objects.select_for_update()
        .filter(
            request=service_request,
            step=service_request.approval_step,
            status=ApprovalStatus.PENDING,
        )
        .first()
    )


def _decide(approval: Approval, *, by: User, status: str, comment: str) -> None:
    approval.status = status
    approval.decided_by = by
    approval.decided_at = timezone.now()
    approval.comment = comment
    approval.save(update_fields=["status", "decided_by", "decided_at", "comment"])


def _skip_open_approvals(service_request: ServiceRequest) -> None:
    Approval.objects.filter(
        request=service_request,
        status__in=[ApprovalStatus.WAITING, ApprovalStatus.PENDING],
    ).update(status=ApprovalStatus.SKIPPED)


@transaction.atomic
def request_approve(
    *,
    service_request: ServiceRequest,
    by: User,
    comment: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """The current step's approver approves: the next step is asked, or fulfilment starts."""
    comment = (comment or "").strip()
    service_request = core.lock_ticket(service_request)
    core.check_version(service_request, expected_version)
    approval = _current_approval(service_request)
    following = (
        Approval.objects.select_for_update(of=("self",))
        .filter(request=service_request, status=ApprovalStatus.WAITING)
        .select_related("approver", "team")
        .order_by("step")
        .first()
    )
    step = approval.step if approval else None
    # The transition checks the state and that ``by`` decides the current step.
    service_request = core.ticket_transition(
        ticket=service_request,
        by=by,
        name="approve",
        note=comment,
        changes={f"approvals.{step}.status": {"from": "pending", "to": "approved"}},
        next_step=following.step if following else None,
    )
    _decide(approval, by=by, status=ApprovalStatus.APPROVED, comment=comment)
    if following is not None:
        following.status = ApprovalStatus.PENDING
        following.save(update_fields=["status"])
        _notify_approvers(following)
        return service_request
    return start_fulfilment(
        service_request=service_request,
        by=None,
        note=_("Approved: fulfilment starts."),
    )


@transaction.atomic
def request_reject(
    *,
    service_request: ServiceRequest,
    by: User,
    comment: str,
    expected_version: int | None = None,
) -> ServiceRequest:
    """The current step's approver rejects, saying why: the request ends here."""
    require_text(comment=comment)
    comment = comment.strip()
    service_request = core.lock_ticket(service_request)
    core.check_version(service_request, expected_version)
    approval = _current_approval(service_request)
    step = approval.step if approval else None
    service_request = core.ticket_transition(
        ticket=service_request,
        by=by,
        name="reject",
        note=comment,
        changes={f"approvals.{step}.status": {"from": "pending", "to": "rejected"}},
    )
    _decide(approval, by=by, status=ApprovalStatus.REJECTED, comment=comment)
    _skip_open_approvals(service_request)
    return service_request


# --- fulfilment ------------------------------------------------------------------------------


@transaction.atomic
def start_fulfilment(
    *,
    service_request: ServiceRequest,
    by: User | None,
    note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """Create the item's fulfilment tasks, one per template, and move to ``fulfilling``."""
    service_request = core.lock_ticket(service_request)
    core.check_version(service_request, expected_version)
    method = service_request.start_fulfilment
    if not can_proceed(method):
        raise TransitionNotAllowed(
            _("Fulfilment cannot start while the request is %(status)s.")
            % {"status": service_request.get_status_display()}
        )
    if by is not None and not has_transition_perm(method, by):
        raise NotPermitted(_("You may not start fulfilment of this request."))
    templates = (
        list(service_request.catalog_item.task_templates.select_related("team"))
        if service_request.catalog_item_id
        else []
    )
    tasks = [
        FulfilmentTask(
            request=service_request,
            template=template,
            order=template.order,
            title=template.title,
            description=template.description,
            assignment_group=template.team,
            number=next_number(TASK_NUMBER_PREFIX),
        )
        for template in templates
    ]
    FulfilmentTask.objects.bulk_create(tasks)
    changes = {"tasks": {"from": [], "to": [task.number for task in tasks]}} if tasks else None
    return core.ticket_transition(
        ticket=service_request, by=by, name="start_fulfilment", note=note, changes=changes
    )


@transaction.atomic
def request_start_fulfilment(
    *, service_request: ServiceRequest, by: User, expected_version: int | None = None
) -> ServiceRequest:
    """An agent starts work on a request logged outside the catalog."""
    return start_fulfilment(
        service_request=service_request, by=by, expected_version=expected_version
    )


@transaction.atomic
def request_fulfil(
    *,
    service_request: ServiceRequest,
    by: User | None,
    note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """Everything is delivered; allowed once no task is open (by itself after the last one)."""
    return core.ticket_transition(
        ticket=service_request,
        by=by,
        name="fulfil",
        expected_version=expected_version,
        note=note,
    )


@transaction.atomic
def request_close(
    *,
    service_request: ServiceRequest,
    by: User | None,
    expected_version: int | None = None,
    note: str = "",
) -> ServiceRequest:
    """The requester confirms the delivery (or an agent closes the request)."""
    return core.ticket_transition(
        ticket=service_request, by=by, name="close", expected_version=expected_version, note=note
    )


@transaction.atomic
def request_cancel(
    *,
    service_request: ServiceRequest,
    by: User,
    reason: str,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Withdraw a request before fulfilment starts; approvals still open are not needed."""
    require_text(reason=reason)
    service_request = core.ticket_transition(
        ticket=service_request,
        by=by,
        name="cancel",
        expected_version=expected_version,
        note=reason.strip(),
    )
    _skip_open_approvals(service_request)
    return service_request


TRANSITION_SERVICES = {
    "approve": request_approve,
    "reject": request_reject,
    "start_fulfilment": request_start_fulfilment,
    "fulfil": request_fulfil,
    "close": request_close,
    "cancel": request_cancel,
}


# --- fulfilment tasks ------------------------------------------------------------------------


def _fulfil_when_done(service_request: ServiceRequest) -> ServiceRequest:
    """Fulfil the (locked) request once no task is open and at least one was done.

    If every task was cancelled nothing was delivered: an agent decides what happens.
    """
    statuses = set(service_request.tasks.values_list("status", flat=True))
    if statuses & set(OPEN_TASK_STATUSES) or TaskStatus.DONE not in statuses:
        return service_request
    return core.ticket_transition(
        ticket=service_request,
        by=None,
        name="fulfil",
        note=_("Fulfilled: every task is done."),
    )


@transaction.atomic
def _task_transition(
    *,
    task: FulfilmentTask,
    by: User,
    name: str,
    expected_version: int | None = None,
    notes: str = "",
) -> FulfilmentTask:
    """Run the task transition ``name`` under the request's row lock and record it there."""
    # The request's row first, always: tasks of one request finishing at the same moment
    # queue on it, so the last of them sees all the others done and fulfils the request.
    service_request = ServiceRequest.objects.select_for_update().get(pk=task.request_id)
    task = FulfilmentTask.objects.select_for_update().get(pk=task.pk)
    task.request = service_request
    if expected_version is not None and task.version != expected_version:
        raise StaleVersion(
            _("This task changed since you opened it (your version %(yours)s, now %(now)s).")
            % {"yours": expected_version, "now": task.version}
        )
    method = getattr(task, name)
    if not can_proceed(method):
        raise TransitionNotAllowed(
            _("“%(name)s” is not allowed while the task is %(status)s and the request %(request)s.")
            % {
                "name": name,
                "status": task.get_status_display().lower(),
                "request": service_request.get_status_display().lower(),
            }
        )
    if not has_transition_perm(method, by):
        raise NotPermitted(_("You may not run “%(name)s” on this task.") % {"name": name})
    from_status = task.status
    arguments: dict[str, Any] = {"by": by}
    if name != "start":
        arguments["notes"] = notes
    try:
        method(**arguments)
    except FSMTransitionNotAllowed as exc:
        raise TransitionNotAllowed(str(exc)) from exc
    task.version += 1
    task.save()
    Ticket.objects.filter(pk=service_request.pk).update(updated_at=timezone.now())
    core.audit_record(
        ticket=service_request,
        actor=by,
        action=AuditAction.CHANGED,
        changes={f"tasks.{task.number}.status": {"from": from_status, "to": task.status}},
        note=notes or f"{task.number} {task.title}",
    )
    if not task.is_open:
        _fulfil_when_done(service_request)
    return task


def task_start(
    *, task: FulfilmentTask, by: User, expected_version: int | None = None
) -> FulfilmentTask:
    """Take a task: it becomes the caller's if nobody has it."""
    return _task_transition(task=task, by=by, name="start", expected_version=expected_version)


def task_complete(
    *, task: FulfilmentTask, by: User, notes: str = "", expected_version: int | None = None
) -> FulfilmentTask:
    """The task's work is done; the last one done fulfils the request."""
    return _task_transition(
        task=task,
        by=by,
        name="complete",
        notes=(notes or "").strip(),
        expected_version=expected_version,
    )


def task_cancel(
    *, task: FulfilmentTask, by: User, reason: str, expected_version: int | None = None
) -> FulfilmentTask:
    """The task is not needed; if the others are done, the request is fulfilled."""
    require_text(reason=reason)
    return _task_transition(
        task=task, by=by, name="cancel", notes=reason.strip(), expected_version=expected_version
    )


TASK_TRANSITION_SERVICES = {
    "start": task_start,
    "complete": task_complete,
    "cancel": task_cancel,
}


# --- what the UI and the API offer ---------------------------------------------------------


def available_transitions(service_request: ServiceRequest, user: User) -> list[str]:
    """The request transitions ``user`` may run now: the buttons and the API's list alike."""
    if not (
        permissions.can_work(service_request, user)
        or service_request.requester_id == user.pk
        or permissions.can_decide(service_request, user)
    ):
        return []
    allowed = {t.name for t in service_request.get_available_user_status_transitions(user)}
    return [name for name in TRANSITION_SERVICES if name in allowed]


def available_task_transitions(task: FulfilmentTask, user: User) -> list[str]:
    """The task transitions ``user`` may run now (the task's request must be loaded)."""
    if not permissions.can_work_task(task, user):
        return []
    allowed = {t.name for t in task.get_available_user_status_transitions(user)}
    return [name for name in TASK_TRANSITION_SERVICES if name in allowed]


def open_tasks(service_request: ServiceRequest) -> QuerySet[FulfilmentTask]:
    return service_request.tasks.filter(status__in=OPEN_TASK_STATUSES)


# --- the catalog -----------------------------------------------------------------------------

CATALOG_ITEM_FIELDS = (
    "name",
    "category",
    "description",
    "owner_team",
    "service",
    "delivery_days",
    "order",
    "is_active",
)


def _model_errors(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        return ValidationFailed(
            fields={
                (f"{prefix}.{k}" if prefix else k).replace(".__all__", ""): [str(m) for m in v]
                for k, v in exc.message_dict.items()
            }
        )
    return ValidationFailed(fields={prefix or "non_field_errors": list(exc.messages)})


def _replace_rows(
    item: CatalogItem,
    model: type[FormField | ApprovalStep | TaskTemplate],
    rows: Iterable[Mapping[str, Any]],
    prefix: str,
) -> None:
    """Make ``rows`` exactly the item's rows of ``model``, in the order given."""
    model.objects.filter(item=item).delete()
    created = []
    for index, row in enumerate(rows):
        instance = model(item=item, order=(index + 1) * 10, **row)
        try:
            instance.full_clean(exclude=["item"])
        except ValidationError as exc:
            raise _model_errors(exc, f"{prefix}.{index}") from exc
        created.append(instance)
    model.objects.bulk_create(created)


def _save_item(
    item: CatalogItem,
    *,
    form: Iterable[Mapping[str, Any]] | None,
    approval_steps: Iterable[Mapping[str, Any]] | None,
    task_templates: Iterable[Mapping[str, Any]] | None,
) -> CatalogItem:
    try:
        item.full_clean()
    except ValidationError as exc:
        raise _model_errors(exc) from exc
    item.save()
    if form is not None:
        _replace_rows(item, FormField, form, "form")
    if approval_steps is not None:
        _replace_rows(item, ApprovalStep, approval_steps, "approval_steps")
    if task_templates is not None:
        _replace_rows(item, TaskTemplate, task_templates, "task_templates")
    return item


@transaction.atomic
def catalog_item_create(
    *,
    data: Mapping[str, Any],
    form: Iterable[Mapping[str, Any]] = (),
    approval_steps: Iterable[Mapping[str, Any]] = (),
    task_templates: Iterable[Mapping[str, Any]] = (),
) -> CatalogItem:
    """Add an item to the catalog with its order form, approval route and task templates."""
    unknown = set(data) - set(CATALOG_ITEM_FIELDS)
    if unknown:
        raise ValidationFailed(fields={f: [_("Unknown field.")] for f in sorted(unknown)})
    return _save_item(
        CatalogItem(**data),
        form=form,
        approval_steps=approval_steps,
        task_templates=task_templates,
    )


@transaction.atomic
def catalog_item_update(
    *,
    item: CatalogItem,
    data: Mapping[str, Any],
    form: Iterable[Mapping[str, Any]] | None = None,
    approval_steps: Iterable[Mapping[str, Any]] | None = None,
    task_templates: Iterable[Mapping[str, Any]] | None = None,
) -> CatalogItem:
    """Change an item; each list given replaces the item's rows (orders placed keep theirs)."""
    unknown = set(data) - set(CATALOG_ITEM_FIELDS)
    if unknown:
        raise ValidationFailed(fields={f: [_("Unknown field.")] for f in sorted(unknown)})
    for field, value in data.items():
        setattr(item, field, value)
    return _save_item(item, form=form, approval_steps=approval_steps, task_templates=task_templates)
