"""Two changes scheduled at once on one CI: exactly one gets the window."""

import threading

import pytest
from django.db import connection

from changes import services
from changes.models import Change
from servicedesk.core.models import User
from tests.changes.factories import make_template, window
from tests.factories import ConfigurationItemFactory, TeamFactory, make_agent


def submit_at_once(changes: list[Change], by: User) -> dict[int, str]:
    """Submit every change at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(changes))
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def submit(change: Change) -> None:
        try:
            user = User.objects.get(pk=by.pk)
            barrier.wait(timeout=30)
            services.change_submit(change=change, by=user)
            outcomes[change.pk] = "scheduled"
        except services.ScheduleConflict:
            outcomes[change.pk] = "refused"
        except BaseException as exc:  # reported below, the thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(change,)) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_schedulings_on_one_ci_never_both_pass_the_overlap_check():
    team = TeamFactory(name="Network")
    agent = make_agent(team, username="nick")
    shared = ConfigurationItemFactory(name="vpn-gw-01")
    # The CIs' rows are locked in id order: listing them the other way round must not deadlock.
    other = ConfigurationItemFactory(name="fw-edge-01")
    template = make_template(assignment_group=team, configuration_items=[shared, other])
    for day in range(1, 4):
        start, _end = window(days=day)
        changes = [
            services.standard_change_create(
                template=template, by=agent, planned_start=start, configuration_items=cis
            )
            for cis in ([shared, other], [other, shared])
        ]
        outcomes = submit_at_once(changes, agent)
        assert sorted(outcomes.values()) == ["refused", "scheduled"]
        statuses = Change.objects.filter(pk__in=outcomes).values_list("status", flat=True)
        assert sorted(statuses) == ["draft", "scheduled"]


def vote_at_once(change: Change, voters: list[User]) -> None:
    """Every voter approves at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(voters))
    errors: list[BaseException] = []

    def vote(voter: User) -> None:
        try:
            barrier.wait(timeout=30)
            services.change_vote(change=change, by=voter, decision="approve", comment="Yes")
        except BaseException as exc:  # reported below, the thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(voter,)) for voter in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_votes_cast_at_once_are_counted_together_and_decide_once():
    """The change row is locked per vote: the second of two racing votes sees the first."""
    from servicedesk.core.choices import TeamKind
    from servicedesk.core.models import AuditEvent
    from tests.changes.factories import change_in, make_cab_member, ready_change

    team = TeamFactory(name="Network")
    agent = make_agent(team, username="nick")
    cab = TeamFactory(name="CAB", kind=TeamKind.CAB)
    members = [make_cab_member(cab, username=n) for n in ("bea", "ben", "bob", "bill")]
    waiting = change_in(
        "authorization", change=ready_change(by=agent, assignment_group=team), agent=agent
    )
    vote_at_once(waiting, members[:2])  # two of four: exactly the quorum
    change = Change.objects.get(pk=waiting.pk)
    assert (change.status, change.cab_decision) == ("scheduled", "approved")
    assert AuditEvent.objects.filter(ticket_id=change.pk, transition="schedule").count() == 1
