"""Scheduling refuses freezes and, unless a change manager overrides, overlaps on a CI."""

from datetime import timedelta

import pytest

from changes import services
from changes.models import Change, FreezePeriod
from servicedesk.core.errors import NotPermitted, ValidationFailed
from servicedesk.core.models import AuditEvent
from tests.changes.factories import (
    approve,
    change_in,
    make_change_manager,
    make_freeze,
    make_template,
    window,
)
from tests.factories import ConfigurationItemFactory


@pytest.fixture
def gateway(db):
    return ConfigurationItemFactory(name="vpn-gw-01")


@pytest.fixture
def template(team, gateway):
    return make_template(assignment_group=team, configuration_items=[gateway])


def standard(template, agent, start, end=None, **fields):
    return services.standard_change_create(
        template=template, by=agent, planned_start=start, planned_end=end, **fields
    )


def test_a_window_in_a_freeze_is_refused(template, agent):
    start, _end = window()
    make_freeze(start - timedelta(days=1), start + timedelta(minutes=30))
    change = standard(template, agent, start)
    with pytest.raises(services.ScheduleConflict) as exc:
        services.change_submit(change=change, by=agent)
    assert exc.value.status_code == 409
    assert exc.value.fields == {"planned_start": ["Overlaps the freeze “Year-end freeze”."]}
    assert Change.objects.get(pk=change.pk).status == "draft"
    assert AuditEvent.objects.filter(ticket_id=change.pk, transition="submit").count() == 0


def test_a_freeze_is_not_overridden_even_by_a_change_manager(template, agent, team):
    manager = make_change_manager(team, username="cmgr")
    start, end = window()
    make_freeze(start, end)
    change = standard(template, manager, start)
    with pytest.raises(services.ScheduleConflict):
        services.change_submit(change=change, by=manager, override_reason="Urgent")


def test_a_window_just_after_a_freeze_is_fine(template, agent):
    start, _end = window()
    make_freeze(start - timedelta(days=2), start)
    assert services.change_submit(change=standard(template, agent, start), by=agent).status == (
        "scheduled"
    )


def test_an_overlap_with_a_scheduled_change_on_the_same_ci_is_refused(template, agent):
    start, _end = window()
    first = services.change_submit(change=standard(template, agent, start), by=agent)
    second = standard(template, agent, start + timedelta(minutes=30))
    with pytest.raises(services.ScheduleConflict) as exc:
        services.change_submit(change=second, by=agent)
    assert exc.value.fields == {
        "planned_start": [f"Overlaps {first.number} on the same configuration items."]
    }
    assert Change.objects.get(pk=second.pk).status == "draft"


def test_back_to_back_windows_and_other_cis_do_not_overlap(template, agent):
    start, _end = window()
    first = services.change_submit(change=standard(template, agent, start), by=agent)
    after = standard(template, agent, first.planned_end)
    assert services.change_submit(change=after, by=agent).status == "scheduled"
    elsewhere = standard(
        template, agent, start, configuration_items=[ConfigurationItemFactory(name="fw-01")]
    )
    assert services.change_submit(change=elsewhere, by=agent).status == "scheduled"


def test_finished_changes_no_longer_hold_their_ci(template, agent):
    start, _end = window()
    first = services.change_submit(change=standard(template, agent, start), by=agent)
    services.change_cancel(change=first, by=agent, reason="Vendor postponed")
    second = standard(template, agent, start)
    assert services.change_submit(change=second, by=agent).status == "scheduled"


def test_a_change_manager_overrides_an_overlap_with_a_reason(template, agent, team):
    manager = make_change_manager(team, username="cmgr")
    start, _end = window()
    first = services.change_submit(change=standard(template, agent, start), by=agent)
    second = standard(template, agent, start)
    with pytest.raises(NotPermitted):
        services.change_submit(change=second, by=agent, override_reason="Same engineer")
    scheduled = services.change_submit(
        change=second, by=manager, override_reason="Same engineer does both, one after the other"
    )
    assert scheduled.status == "scheduled"
    assert scheduled.overlap_override_reason == "Same engineer does both, one after the other"
    assert scheduled.overlap_overridden_by == manager
    event = AuditEvent.objects.filter(ticket_id=second.pk).last()
    assert event.changes == {
        "overlap_override_reason": {
            "from": None,
            "to": "Same engineer does both, one after the other",
        }
    }
    assert event.note == (
        f"Scheduled over {first.number} by override: Same engineer does both, one after the other"
    )


def test_asking_for_authorization_checks_the_window_first(agent, team, board, gateway):
    from tests.changes.factories import ready_change

    start, end = window()
    make_freeze(start, end)
    change = change_in(
        "assessment",
        change=ready_change(by=agent, assignment_group=team, configuration_items=[gateway]),
        agent=agent,
    )
    with pytest.raises(services.ScheduleConflict):
        services.change_request_authorization(change=change, by=agent)
    assert Change.objects.get(pk=change.pk).status == "assessment"


def test_an_approved_change_that_meets_a_new_freeze_waits_to_be_scheduled(
    agent, team, board, gateway
):
    from tests.changes.factories import ready_change

    change = change_in(
        "authorization",
        change=ready_change(by=agent, assignment_group=team, configuration_items=[gateway]),
        agent=agent,
    )
    freeze = make_freeze(change.planned_start, change.planned_end, name="Audit week")
    approved = approve(change)
    assert (approved.status, approved.cab_decision) == ("authorization", "approved")
    event = AuditEvent.objects.filter(ticket_id=change.pk).last()
    assert event.actor is None
    assert event.changes == {"cab_decision": {"from": "pending", "to": "approved"}}
    assert event.note.endswith(
        "It could not be scheduled: The planned window overlaps the change freeze “Audit week”."
    )
    assert sorted(services.available_transitions(approved, agent)) == ["cancel", "schedule"]
    # The window of an approved change may move; then it is scheduled by hand.
    moved = services.change_update(
        change=approved,
        by=agent,
        data={
            "planned_start": freeze.end,
            "planned_end": freeze.end + timedelta(hours=2),
        },
    )
    with pytest.raises(ValidationFailed):
        services.change_update(change=moved, by=agent, data={"backout_plan": "Nothing"})
    scheduled = services.change_schedule(change=moved, by=agent)
    assert scheduled.status == "scheduled"


# --- freeze periods -----------------------------------------------------------------------


def test_change_managers_declare_freezes(team, agent):
    manager = make_change_manager(team, username="cmgr")
    start, end = window(days=30, hours=72)
    freeze = services.freeze_period_create(by=manager, name="Year end", start=start, end=end)
    assert (freeze.created_by, FreezePeriod.objects.count()) == (manager, 1)
    with pytest.raises(NotPermitted):
        services.freeze_period_create(by=agent, name="Mine", start=start, end=end)
    with pytest.raises(ValidationFailed) as exc:
        services.freeze_period_create(by=manager, name="Backwards", start=end, end=start)
    assert list(exc.value.fields) == ["end"]
    moved = services.freeze_period_update(
        freeze=freeze, by=manager, data={"end": end + timedelta(days=1)}
    )
    assert moved.end == end + timedelta(days=1)
