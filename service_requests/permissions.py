"""Who may see and do what with service requests and fulfilment tasks.

The FSM ``permission=`` callables, the UI's buttons and the API's available
transitions all come from here, and so does the scoping of every list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from servicedesk.core import permissions as core
from servicedesk.core.models import Membership

from .choices import ApprovalStatus, ApproverKind

if TYPE_CHECKING:
    from .models import Approval, CatalogItem, FulfilmentTask, ServiceRequest

# Approvers see a request once its route has reached them, not before.
VISIBLE_APPROVAL_STATUSES = (
    ApprovalStatus.PENDING,
    ApprovalStatus.APPROVED,
    ApprovalStatus.REJECTED,
)


def _signed_in(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _approver_q(user: Any, statuses: tuple[str, ...]) -> Q:
    """Approval rows that ``user`` decides: as the named person or as a team member."""
    my_teams = Membership.objects.filter(user_id=user.pk, team__is_active=True).values("team_id")
    return Q(status__in=statuses) & (
        Q(kind=ApproverKind.MANAGER, approver_id=user.pk)
        | Q(kind=ApproverKind.TEAM, team_id__in=my_teams)
    )


def approvals_for(user: Any, statuses: tuple[str, ...] = (ApprovalStatus.PENDING,)) -> Q:
    """A filter on Approval: rows ``user`` decides (or decided), never on their own requests."""
    return _approver_q(user, statuses) & ~Q(request__requester_id=user.pk)


def visible_requests(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Requests ``user`` may see: the ticket core's scope, plus what they approve or fulfil.

    On top of ``core.visible_tickets``: approvers see the requests whose route has
    reached them, and agents see the requests on which their team has a task.
    """
    from .models import Approval, FulfilmentTask, ServiceRequest

    qs = queryset if queryset is not None else ServiceRequest.objects.all()
    if not _signed_in(user):
        return qs.none()
    if core.sees_all_tickets(user):
        return qs
    approving = Exists(
        Approval.objects.filter(
            _approver_q(user, VISIBLE_APPROVAL_STATUSES), request_id=OuterRef("pk")
        )
    )
    extra = Q(approving)
    if core.is_agent(user):
        my_teams = Membership.objects.filter(user_id=user.pk).values("team_id")
        extra |= Q(
            Exists(
                FulfilmentTask.objects.filter(
                    Q(assignment_group_id__in=my_teams) | Q(assignee_id=user.pk),
                    request_id=OuterRef("pk"),
                )
            )
        )
    # One filter, so that the result stays a plain queryset (no UNION) that lists can slice.
    return core.visible_tickets(user, qs) | qs.filter(extra)


def can_view(user: Any, service_request: ServiceRequest) -> bool:
    return visible_requests(user).filter(pk=service_request.pk).exists()


def can_work(service_request: ServiceRequest, user: Any) -> bool:
    """Agents of the request's team (or unrouted ones, or its assignee) work it."""
    return core.can_work_ticket(user, service_request)


def can_submit_for_approval(service_request: ServiceRequest, user: Any) -> bool:
    """Only the system routes a request to its approvers, as part of ordering it."""
    return False


def current_approval(service_request: ServiceRequest) -> Approval | None:
    """The approval step awaiting a decision now, if any."""
    if service_request.approval_step is None:
        return None
    return (
        service_request.approvals.filter(
            step=service_request.approval_step, status=ApprovalStatus.PENDING
        )
        .select_related("approver", "team")
        .first()
    )


def is_approver(approval: Approval, user: Any) -> bool:
    """Whether ``user`` decides ``approval``: the named manager, or a member of the team."""
    if not _signed_in(user):
        return False
    if approval.kind == ApproverKind.MANAGER:
        return approval.approver_id == user.pk
    return approval.team_id in core.team_ids(user)


def can_decide(service_request: ServiceRequest, user: Any) -> bool:
    """Only the current step's approvers decide, and nobody approves their own request."""
    if not _signed_in(user) or service_request.requester_id == user.pk:
        return False
    approval = current_approval(service_request)
    return approval is not None and is_approver(approval, user)


def can_start_fulfilment(service_request: ServiceRequest, user: Any) -> bool:
    """Catalog orders start fulfilment by themselves; agents start requests logged by hand."""
    return service_request.catalog_item_id is None and can_work(service_request, user)


def can_cancel(service_request: ServiceRequest, user: Any) -> bool:
    """The requester withdraws their request; agents who work it may cancel it too."""
    return service_request.requester_id == user.pk or can_work(service_request, user)


def can_close(service_request: ServiceRequest, user: Any) -> bool:
    """The requester confirms the delivery; an agent who works it may close it too."""
    return service_request.requester_id == user.pk or can_work(service_request, user)


def can_order_for_others(user: Any) -> bool:
    """Agents order on someone's behalf; everyone else orders for themselves."""
    return core.is_agent(user)


def can_manage_catalog(user: Any) -> bool:
    """Catalog admins create and change items, their forms, approvals and task templates."""
    return _signed_in(user) and user.has_perm("service_requests.change_catalogitem")


def can_order(user: Any, item: CatalogItem) -> bool:
    """Anyone signed in orders an active item; catalog admins also see inactive ones."""
    return _signed_in(user) and item.is_active


# --- fulfilment tasks -------------------------------------------------------------------


def visible_tasks(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Tasks of the requests ``user`` may see (agents also see every task of their teams)."""
    from .models import FulfilmentTask

    qs = queryset if queryset is not None else FulfilmentTask.objects.all()
    if not _signed_in(user):
        return qs.none()
    if core.sees_all_tickets(user):
        return qs
    scope = Q(request_id__in=visible_requests(user).values("pk"))
    if core.is_agent(user):
        my_teams = Membership.objects.filter(user_id=user.pk).values("team_id")
        scope |= Q(assignment_group_id__in=my_teams) | Q(assignee_id=user.pk)
    return qs.filter(scope)


def can_work_task(task: FulfilmentTask, user: Any) -> bool:
    """Agents of the task's team, its assignee and admins who see everything work a task."""
    if not core.is_agent(user):
        return False
    return (
        core.sees_all_tickets(user)
        or task.assignee_id == user.pk
        or task.assignment_group_id in core.team_ids(user)
    )
