"""Every request transition, approval routing, automatic fulfilment and the task lifecycle."""

from __future__ import annotations

import pytest
from django.core import mail

from service_requests import services
from service_requests.choices import ApprovalStatus
from service_requests.models import Approval, FulfilmentTask, ServiceRequest
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import (
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.core.models import AuditEvent, NumberSequence, Ticket
from tests.factories import TeamFactory, make_admin, make_agent, make_end_user, make_request
from tests.service_requests.factories import fresh, make_item, order, tasks_of

STATES = [
    "submitted",
    "awaiting_approval",
    "approved",
    "fulfilling",
    "fulfilled",
    "closed",
    "rejected",
    "cancelled",
]
# transition → the states it may start from, and where the request ends up.
EDGES = {
    "approve": ({"awaiting_approval"}, "fulfilling"),  # the only step: on to fulfilment
    "reject": ({"awaiting_approval"}, "rejected"),
    "cancel": ({"submitted", "awaiting_approval", "approved"}, "cancelled"),
    "close": ({"fulfilled"}, "closed"),
}


def history(service_request):
    return list(
        AuditEvent.objects.filter(ticket_id=service_request.pk).values_list(
            "actor__username", "transition", "from_status", "to_status"
        )
    )


@pytest.fixture
def walk(laptop, requester, manager, agent, ivan, team):
    """Put a request in ``state`` through the real services, as people would."""

    def to(state: str) -> ServiceRequest:
        if state == "submitted":  # only requests logged outside the catalog rest here
            return make_request(requester=requester, assignment_group=team)
        service_request = order(laptop, requester)
        if state == "awaiting_approval":
            return service_request
        if state == "approved":  # passed through on the way to fulfilment; pinned here
            Ticket.objects.filter(pk=service_request.pk).update(status="approved")
            ServiceRequest.objects.filter(pk=service_request.pk).update(approval_step=None)
            return fresh(service_request)
        if state == "rejected":
            return services.request_reject(
                service_request=service_request, by=manager, comment="Not this year"
            )
        if state == "cancelled":
            return services.request_cancel(
                service_request=service_request, by=requester, reason="Found a spare one"
            )
        service_request = services.request_approve(service_request=service_request, by=manager)
        if state == "fulfilling":
            return service_request
        first, second = tasks_of(service_request)
        services.task_complete(task=first, by=agent)
        services.task_complete(task=second, by=ivan)
        service_request = fresh(service_request)
        if state == "fulfilled":
            return service_request
        return services.request_close(service_request=service_request, by=requester)

    return to


def run(name, service_request, *, manager, requester):
    if name == "approve":
        return services.request_approve(service_request=service_request, by=manager, comment="OK")
    if name == "reject":
        return services.request_reject(service_request=service_request, by=manager, comment="No")
    if name == "cancel":
        return services.request_cancel(
            service_request=service_request, by=requester, reason="Not needed"
        )
    return services.request_close(service_request=service_request, by=requester)


@pytest.mark.parametrize(("name", "state"), [(name, state) for name in EDGES for state in STATES])
def test_transition_table(name, state, walk, manager, requester):
    service_request = walk(state)
    assert service_request.status == state
    sources, target = EDGES[name]
    before = AuditEvent.objects.filter(ticket_id=service_request.pk).count()
    if state in sources:
        result = run(name, service_request, manager=manager, requester=requester)
        assert fresh(result).status == target
        event = AuditEvent.objects.filter(ticket_id=service_request.pk, transition=name).get()
        assert (event.action, event.from_status) == (AuditAction.TRANSITION, state)
    else:
        with pytest.raises(TransitionNotAllowed):
            run(name, service_request, manager=manager, requester=requester)
        assert fresh(service_request).status == state
        assert AuditEvent.objects.filter(ticket_id=service_request.pk).count() == before


def test_the_whole_journey_is_on_the_record_with_the_systems_own_steps(
    walk, requester, manager, agent, ivan
):
    service_request = walk("closed")
    assert history(service_request) == [
        ("eve", "", "", "submitted"),
        (None, "submit_for_approval", "submitted", "awaiting_approval"),
        ("mike", "approve", "awaiting_approval", "approved"),
        (None, "start_fulfilment", "approved", "fulfilling"),
        ("alice", "", "", ""),
        ("ivan", "", "", ""),
        (None, "fulfil", "fulfilling", "fulfilled"),
        ("eve", "close", "fulfilled", "closed"),
    ]
    closed = fresh(service_request)
    assert closed.resolved_at is not None
    assert closed.closed_at is not None


# --- ordering and routing ----------------------------------------------------------------


def test_an_item_without_approval_goes_straight_to_fulfilment_with_its_tasks(
    software, requester, team
):
    service_request = order(software, requester, answers={"software": "Inkscape"})
    assert service_request.status == "fulfilling"
    assert service_request.title == "Software install"
    assert service_request.assignment_group == team
    assert service_request.answers == {"software": "Inkscape"}
    assert history(service_request) == [
        ("eve", "", "", "submitted"),
        (None, "start_fulfilment", "submitted", "fulfilling"),
    ]
    event = AuditEvent.objects.get(ticket_id=service_request.pk, transition="start_fulfilment")
    assert event.changes == {"tasks": {"from": [], "to": ["TASK0000001"]}}
    assert event.note == "No approval needed: fulfilment starts."
    (task,) = tasks_of(service_request)
    assert (task.number, task.title, task.assignment_group, task.status) == (
        "TASK0000001",
        "Install it",
        team,
        "open",
    )
    assert not Approval.objects.exists()


def test_a_manager_step_goes_to_the_requesters_manager_and_tells_them(
    laptop, requester, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        service_request = order(laptop, requester)
    assert (service_request.status, service_request.approval_step) == ("awaiting_approval", 1)
    approval = Approval.objects.get(request=service_request)
    assert (approval.kind, approval.approver, approval.status) == ("manager", manager, "pending")
    event = AuditEvent.objects.get(ticket_id=service_request.pk, transition="submit_for_approval")
    assert event.note == f"Sent for approval to {manager.display_name} (manager)."
    (message,) = [m for m in mail.outbox if "Approval needed" in m.subject]
    assert message.to == ["mike@example.com"]
    assert message.subject == f"[{service_request.number}] Approval needed: New laptop"
    assert f"/portal/requests/{service_request.pk}/" in message.body


def test_each_step_tells_its_own_approvers_when_its_turn_comes(
    team, infra, requester, manager, django_capture_on_commit_callbacks
):
    make_agent(infra, username="ines", email="ines@example.com")
    make_agent(infra, username="igor", email="")  # no address: not mailed
    item = make_item(owner_team=team, name="Server access", form=[], approvals=["manager", infra])
    with django_capture_on_commit_callbacks(execute=True):
        service_request = order(item, requester, answers={})
    with django_capture_on_commit_callbacks(execute=True):
        services.request_approve(service_request=service_request, by=manager)
    asked = [m.to for m in mail.outbox if "Approval needed" in m.subject]
    assert asked == [["mike@example.com"], ["ines@example.com"]]


@pytest.mark.parametrize("problem", ["none", "inactive"])
def test_a_missing_manager_is_a_clear_error_at_order_time_and_nothing_is_created(
    laptop, manager, problem
):
    requester = make_end_user(username="orphan", first_name="Otto", last_name="Orphan")
    if problem == "inactive":
        manager.is_active = False
        manager.save(update_fields=["is_active"])
        requester.manager = manager
        requester.save(update_fields=["manager"])
    with pytest.raises(ValidationFailed) as exc:
        order(laptop, requester)
    assert list(exc.value.fields) == ["catalog_item"]
    assert exc.value.message == (
        "“New laptop” needs the approval of the requester's manager, and Otto Orphan has no "
        "manager on record. Ask the service desk to record one, then order again."
    )
    assert not ServiceRequest.objects.exists()
    assert not NumberSequence.objects.filter(prefix="REQ", last_value__gt=0).exists()


def test_a_team_step_is_decided_by_any_one_member(team, infra, ivan, requester, agent):
    other_member = make_agent(infra, username="ines")
    vpn = make_item(owner_team=team, name="VPN access", form=[], approvals=[infra])
    service_request = order(vpn, requester, answers={})
    with pytest.raises(NotPermitted):
        services.request_approve(service_request=service_request, by=agent)
    approved = services.request_approve(service_request=service_request, by=other_member)
    assert fresh(approved).status == "fulfilling"  # no task templates: an agent fulfils it
    approval = Approval.objects.get(request=service_request)
    assert (approval.status, approval.decided_by) == ("approved", other_member)


def test_a_team_nobody_can_decide_for_is_refused_at_order_time(team, requester):
    empty = TeamFactory(name="Empty board")
    item = make_item(owner_team=team, name="Badge", form=[], approvals=[empty])
    with pytest.raises(ValidationFailed) as exc:
        order(item, requester, answers={})
    assert exc.value.fields == {
        "catalog_item": ["“Badge” needs the approval of Empty board, which has nobody to decide."]
    }


def test_steps_are_decided_in_sequence_and_only_by_the_current_steps_approvers(
    team, infra, ivan, requester, manager
):
    item = make_item(
        owner_team=team,
        name="Server access",
        form=[],
        approvals=["manager", infra],
        tasks=[("Grant access", infra)],
    )
    service_request = order(item, requester, answers={})
    # Step 1 is the manager's: Infrastructure cannot decide yet.
    for outsider in (ivan, requester):
        with pytest.raises(NotPermitted):
            services.request_approve(service_request=service_request, by=outsider)
    service_request = services.request_approve(
        service_request=service_request, by=manager, comment="Fine by me"
    )
    assert (service_request.status, service_request.approval_step) == ("awaiting_approval", 2)
    assert list(
        Approval.objects.filter(request=service_request).values_list("step", "status", "comment")
    ) == [(1, "approved", "Fine by me"), (2, "pending", "")]
    # Step 2 is Infrastructure's: the manager has decided already.
    with pytest.raises(NotPermitted):
        services.request_approve(service_request=service_request, by=manager)
    done = services.request_approve(service_request=service_request, by=ivan, comment="Granted")
    assert fresh(done).status == "fulfilling"
    assert [t.title for t in tasks_of(done)] == ["Grant access"]
    assert [step for step in history(done) if step[1]] == [
        (None, "submit_for_approval", "submitted", "awaiting_approval"),
        ("mike", "approve", "awaiting_approval", "awaiting_approval"),
        ("ivan", "approve", "awaiting_approval", "approved"),
        (None, "start_fulfilment", "approved", "fulfilling"),
    ]


def test_a_rejection_ends_the_request_and_later_steps_are_not_needed(
    team, infra, ivan, requester, manager
):
    item = make_item(owner_team=team, name="Server access", form=[], approvals=["manager", infra])
    service_request = order(item, requester, answers={})
    with pytest.raises(ValidationFailed) as exc:
        services.request_reject(service_request=service_request, by=manager, comment="  ")
    assert list(exc.value.fields) == ["comment"]
    rejected = services.request_reject(
        service_request=service_request, by=manager, comment="Use the shared server"
    )
    assert (rejected.status, rejected.approval_step) == ("rejected", None)
    assert rejected.closed_at is not None
    assert list(
        Approval.objects.filter(request=service_request).values_list("status", "comment")
    ) == [("rejected", "Use the shared server"), ("skipped", "")]
    event = AuditEvent.objects.get(ticket_id=service_request.pk, transition="reject")
    assert (event.actor, event.note) == (manager, "Use the shared server")


@pytest.mark.parametrize("who", ["requester", "agent_of_another_team", "admin", "end_user"])
def test_nobody_but_the_current_approver_decides(laptop, requester, other_agent, who):
    service_request = order(laptop, requester)
    user = {
        "requester": requester,
        "agent_of_another_team": other_agent,
        "admin": make_admin(username="root-ish"),
        "end_user": make_end_user(username="nosy"),
    }[who]
    for decide in (services.request_approve, services.request_reject):
        with pytest.raises(NotPermitted):
            decide(service_request=service_request, by=user, comment="Sure")
    assert fresh(service_request).status == "awaiting_approval"
    assert Approval.objects.get().status == "pending"


def test_nobody_approves_their_own_request_even_in_the_approving_team(team, infra, ivan):
    vpn = make_item(owner_team=team, name="VPN access", form=[], approvals=[infra])
    make_agent(infra, username="ines")
    service_request = order(vpn, ivan, answers={})
    with pytest.raises(NotPermitted):
        services.request_approve(service_request=service_request, by=ivan)


def test_a_cancelled_request_needs_no_more_approvals(laptop, requester, agent, other_end_user):
    service_request = order(laptop, requester)
    with pytest.raises(NotPermitted):
        services.request_cancel(service_request=service_request, by=other_end_user, reason="x")
    with pytest.raises(ValidationFailed):
        services.request_cancel(service_request=service_request, by=requester, reason="")
    cancelled = services.request_cancel(service_request=service_request, by=agent, reason="Dup")
    assert cancelled.status == "cancelled"
    assert Approval.objects.get().status == ApprovalStatus.SKIPPED


def test_a_decision_on_a_stale_version_is_refused(laptop, requester, manager):
    service_request = order(laptop, requester)
    with pytest.raises(StaleVersion):
        services.request_approve(
            service_request=service_request,
            by=manager,
            expected_version=service_request.version - 1,
        )
    assert fresh(service_request).status == "awaiting_approval"


def test_only_agents_order_for_others(laptop, requester, agent, other_end_user):
    with pytest.raises(NotPermitted):
        order(laptop, other_end_user, requester=requester)
    on_behalf = order(laptop, agent, requester=requester)
    assert (on_behalf.requester, on_behalf.created_by) == (requester, agent)
    assert Approval.objects.get(request=on_behalf).approver.username == "mike"


def test_an_inactive_item_cannot_be_ordered(laptop, requester):
    laptop.is_active = False
    laptop.save()
    with pytest.raises(ValidationFailed) as exc:
        order(laptop, requester)
    assert list(exc.value.fields) == ["catalog_item"]


def test_bad_answers_are_named_and_nothing_is_created(laptop, requester):
    with pytest.raises(ValidationFailed) as exc:
        order(laptop, requester, answers={"laptop_model": "15", "colour": "red"})
    assert exc.value.fields == {
        "answers.laptop_model": ["Select a valid choice. 15 is not one of the available choices."],
        "answers.colour": ["This item's form has no such field."],
    }
    assert not Ticket.objects.exists()


# --- fulfilment ------------------------------------------------------------------------------


def test_the_last_task_done_fulfils_the_request_by_itself(walk, agent, ivan):
    service_request = walk("fulfilling")
    first, second = tasks_of(service_request)
    services.task_complete(task=first, by=agent, notes="Imaged and labelled")
    assert fresh(service_request).status == "fulfilling"
    services.task_complete(task=second, by=ivan)
    fulfilled = fresh(service_request)
    assert fulfilled.status == "fulfilled"
    event = AuditEvent.objects.get(ticket_id=service_request.pk, transition="fulfil")
    assert (event.actor, event.note) == (None, "Fulfilled: every task is done.")


def test_cancelling_the_last_open_task_fulfils_when_others_were_done(walk, agent, ivan):
    service_request = walk("fulfilling")
    first, second = tasks_of(service_request)
    services.task_complete(task=first, by=agent)
    services.task_cancel(task=second, by=ivan, reason="Already enrolled")
    assert fresh(service_request).status == "fulfilled"


def test_when_every_task_is_cancelled_an_agent_decides(walk, agent, ivan):
    service_request = walk("fulfilling")
    with pytest.raises(TransitionNotAllowed):
        services.request_fulfil(service_request=service_request, by=agent)
    first, second = tasks_of(service_request)
    services.task_cancel(task=first, by=agent, reason="Out of stock")
    services.task_cancel(task=second, by=ivan, reason="Not needed")
    assert fresh(service_request).status == "fulfilling"
    with pytest.raises(NotPermitted):
        services.request_fulfil(service_request=service_request, by=ivan)  # not the owner team
    assert services.request_fulfil(service_request=service_request, by=agent).status == "fulfilled"


def test_a_request_logged_by_hand_is_started_by_an_agent(team, requester, agent):
    service_request = make_request(requester=requester, assignment_group=team)
    with pytest.raises(NotPermitted):
        services.request_start_fulfilment(service_request=service_request, by=requester)
    started = services.request_start_fulfilment(service_request=service_request, by=agent)
    assert started.status == "fulfilling"
    assert services.request_fulfil(service_request=started, by=agent).status == "fulfilled"


def test_a_catalog_order_is_never_started_by_hand(walk, agent):
    approved = walk("approved")
    with pytest.raises(NotPermitted):
        services.request_start_fulfilment(service_request=approved, by=agent)


# --- fulfilment tasks ------------------------------------------------------------------------

TASK_STATES = ["open", "in_progress", "done", "cancelled"]
TASK_EDGES = {
    "start": ({"open"}, "in_progress"),
    "complete": ({"open", "in_progress"}, "done"),
    "cancel": ({"open", "in_progress"}, "cancelled"),
}


def run_task(name, task, by):
    if name == "start":
        return services.task_start(task=task, by=by)
    if name == "complete":
        return services.task_complete(task=task, by=by, notes="Done")
    return services.task_cancel(task=task, by=by, reason="Not needed")


@pytest.mark.parametrize(
    ("name", "state"), [(name, state) for name in TASK_EDGES for state in TASK_STATES]
)
def test_task_transition_table(name, state, walk, agent):
    service_request = walk("fulfilling")
    task = tasks_of(service_request)[0]  # the Service Desk's; the other stays open
    if state != "open":
        task = run_task(
            {"in_progress": "start", "done": "complete", "cancelled": "cancel"}[state], task, agent
        )
        if state == "in_progress":
            assert task.status == "in_progress"
    sources, target = TASK_EDGES[name]
    if state in sources:
        assert run_task(name, task, agent).status == target
    else:
        with pytest.raises(TransitionNotAllowed):
            run_task(name, task, agent)
        assert FulfilmentTask.objects.get(pk=task.pk).status == state


def test_starting_a_task_takes_it_and_every_change_is_on_the_requests_record(walk, agent):
    service_request = walk("fulfilling")
    task = tasks_of(service_request)[0]
    started = services.task_start(task=task, by=agent)
    assert (started.status, started.assignee, started.version) == ("in_progress", agent, 2)
    assert started.started_at is not None
    done = services.task_complete(task=started, by=agent, notes="Handed over")
    assert (done.completed_by, done.notes) == (agent, "Handed over")
    events = AuditEvent.objects.filter(ticket_id=service_request.pk, action=AuditAction.CHANGED)
    assert [e.changes for e in events] == [
        {f"tasks.{task.number}.status": {"from": "open", "to": "in_progress"}},
        {f"tasks.{task.number}.status": {"from": "in_progress", "to": "done"}},
    ]


@pytest.mark.parametrize("who", ["ivan", "requester", "other_agent"])
def test_only_the_tasks_team_works_it(walk, who, ivan, requester, other_agent):
    service_request = walk("fulfilling")
    task = tasks_of(service_request)[0]  # the Service Desk's
    user = {"ivan": ivan, "requester": requester, "other_agent": other_agent}[who]
    for name in TASK_EDGES:
        with pytest.raises(NotPermitted):
            run_task(name, task, user)
    assert FulfilmentTask.objects.get(pk=task.pk).status == "open"


def test_a_task_needs_a_reason_to_be_cancelled_and_a_fresh_version(walk, agent):
    task = tasks_of(walk("fulfilling"))[0]
    with pytest.raises(ValidationFailed):
        services.task_cancel(task=task, by=agent, reason=" ")
    with pytest.raises(StaleVersion):
        services.task_complete(task=task, by=agent, expected_version=task.version + 1)
    assert FulfilmentTask.objects.get(pk=task.pk).status == "open"


def test_task_numbers_come_from_their_own_sequence(software, requester):
    first = order(software, requester, answers={"software": "GIMP"})
    second = order(software, requester, answers={"software": "Krita"})
    assert [t.number for t in tasks_of(first) + tasks_of(second)] == [
        "TASK0000001",
        "TASK0000002",
    ]
    assert (first.number, second.number) == ("REQ0000001", "REQ0000002")
