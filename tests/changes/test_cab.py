"""CAB authorization: the board, the quorum rule, the change manager's veto, changed votes."""

from fractions import Fraction

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from changes import services
from changes.cab import QuorumRule, board_for, parse_quorum
from changes.models import CABVote, Change
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import Conflict, NotPermitted, ValidationFailed
from servicedesk.core.models import AuditEvent
from tests.changes.factories import change_in, make_cab_member, ready_change


@pytest.fixture
def waiting(agent, team, board):
    """A normal change awaiting the CAB of three members and the change manager."""
    return change_in(
        "authorization", change=ready_change(by=agent, assignment_group=team), agent=agent
    )


def vote(change, user, decision, comment="Looked at it."):
    return services.change_vote(change=change, by=user, decision=decision, comment=comment)


def status_of(change):
    return Change.objects.get(pk=change.pk).status


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("0.5", QuorumRule(fraction=Fraction(1, 2))),
        ("2/3", QuorumRule(fraction=Fraction(2, 3))),
        ("1.0", QuorumRule(fraction=Fraction(1))),
        ("1", QuorumRule(count=1)),
        (3, QuorumRule(count=3)),
        (0.75, QuorumRule(fraction=Fraction(3, 4))),
    ],
)
def test_quorum_settings_are_a_count_or_a_fraction(value, rule):
    assert parse_quorum(value) == rule


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "half", "", True, "0.0"])
def test_nonsense_quorums_are_refused(value):
    with pytest.raises(ImproperlyConfigured):
        parse_quorum(value)


@pytest.mark.parametrize(
    ("rule", "members", "required"),
    [
        (QuorumRule(fraction=Fraction(1, 2)), 4, 2),
        (QuorumRule(fraction=Fraction(1, 2)), 5, 3),
        (QuorumRule(fraction=Fraction(1, 10)), 30, 3),  # exact: no float rounding up to 4
        (QuorumRule(fraction=Fraction(1)), 4, 4),
        (QuorumRule(count=3), 2, 2),  # never more than the board has
        (QuorumRule(count=1), 9, 1),
        (QuorumRule(fraction=Fraction(1, 3)), 1, 1),
    ],
)
def test_required_approvals(rule, members, required):
    assert rule.required(members) == required


# --- outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quorum", "decisions", "statuses"),
    [
        # a majority of four: two approvals
        ("0.5", ["approve", "approve"], ["authorization", "scheduled"]),
        ("0.5", ["approve", "reject", "approve"], ["authorization", "authorization", "scheduled"]),
        # three rejections leave one voter: two approvals can no longer be reached
        ("0.5", ["reject", "reject", "reject"], ["authorization", "authorization", "rejected"]),
        # everyone must approve: one rejection is enough to fail
        ("1.0", ["approve", "approve", "approve"], ["authorization"] * 3),
        ("1.0", ["approve", "reject"], ["authorization", "rejected"]),
        ("3", ["approve", "approve", "approve"], ["authorization", "authorization", "scheduled"]),
        ("1", ["approve"], ["scheduled"]),
    ],
)
def test_the_quorum_rule_decides(settings, waiting, members, quorum, decisions, statuses):
    settings.CHANGE_CAB_QUORUM = quorum
    seen = []
    for member, decision in zip(members, decisions, strict=False):
        vote(waiting, member, decision)
        seen.append(status_of(waiting))
    assert seen == statuses


def test_everyone_approving_passes_a_unanimity_rule(settings, waiting, board):
    settings.CHANGE_CAB_QUORUM = "1.0"
    for member in board:
        vote(waiting, member, "approve")
    assert status_of(waiting) == "scheduled"


def test_the_deciding_vote_schedules_the_change_as_the_system(waiting, members):
    vote(waiting, members[0], "approve", "Backout is solid.")
    vote(waiting, members[1], "approve", "OK outside office hours.")
    change = Change.objects.get(pk=waiting.pk)
    assert (change.status, change.cab_decision) == ("scheduled", "approved")
    assert change.cab_decided_at is not None
    events = list(AuditEvent.objects.filter(ticket_id=waiting.pk).order_by("pk"))[-3:]
    assert [(e.actor, e.action, e.transition) for e in events] == [
        (members[0], AuditAction.CHANGED, ""),
        (members[1], AuditAction.CHANGED, ""),
        (None, AuditAction.TRANSITION, "schedule"),
    ]
    assert [e.note for e in events[:2]] == ["Backout is solid.", "OK outside office hours."]
    assert events[0].changes == {"cab_vote": {"from": None, "to": "approve"}}
    assert events[0].internal is True
    assert events[2].changes == {"cab_decision": {"from": "pending", "to": "approved"}}
    assert events[2].note == (
        "CAB decision: approved (2 approved, 0 rejected of 4; 2 approvals needed)."
    )


def test_one_rejection_by_a_change_manager_rejects(waiting, members, manager):
    vote(waiting, members[0], "approve")
    vote(waiting, manager, "reject", "Not during the audit.")
    change = Change.objects.get(pk=waiting.pk)
    assert (change.status, change.cab_decision) == ("rejected", "rejected")
    assert change.closed_at is not None
    event = AuditEvent.objects.filter(ticket_id=waiting.pk).last()
    assert (event.actor, event.transition, event.to_status) == (None, "reject", "rejected")
    assert event.note.endswith("Rejected by a change manager.")


def test_a_member_may_change_their_vote_until_the_board_decides(settings, waiting, members):
    settings.CHANGE_CAB_QUORUM = "3"
    vote(waiting, members[0], "approve")
    vote(waiting, members[0], "reject", "On second thoughts, no backout test.")
    assert CABVote.objects.filter(change=waiting).count() == 1
    assert CABVote.objects.get().decision == "reject"
    event = AuditEvent.objects.filter(ticket_id=waiting.pk).last()
    assert event.changes == {"cab_vote": {"from": "approve", "to": "reject"}}
    # The changed vote counts once: two more approvals are still one short of three.
    vote(waiting, members[1], "approve")
    vote(waiting, members[2], "approve")
    assert status_of(waiting) == "authorization"


def test_voting_closes_when_the_board_has_decided(settings, waiting, members):
    settings.CHANGE_CAB_QUORUM = "1"
    vote(waiting, members[0], "approve")
    with pytest.raises(Conflict):
        vote(waiting, members[0], "reject")
    with pytest.raises(Conflict):
        vote(waiting, members[1], "reject")
    assert CABVote.objects.filter(change=waiting).count() == 1


def test_only_the_board_votes(waiting, other_agent, end_user, agent):
    for outsider in (other_agent, end_user, agent):  # agent raised it: never their own
        with pytest.raises(NotPermitted):
            vote(waiting, outsider, "approve")
    assert not CABVote.objects.exists()


def test_a_member_who_raised_the_change_is_not_on_its_board(cab, members, manager, team):
    from tests.changes.factories import make_change_manager

    raiser = make_change_manager(team, username="ray")
    change = ready_change(by=raiser, assignment_group=team)
    assert raiser.pk not in board_for(change).voter_ids
    assert board_for(change).voter_ids == {m.pk for m in [*members, manager]}


@pytest.mark.parametrize(
    ("decision", "comment", "fields"),
    [("maybe", "x", {"decision"}), ("approve", " ", {"comment"})],
)
def test_a_vote_needs_a_decision_and_a_comment(waiting, members, decision, comment, fields):
    with pytest.raises(ValidationFailed) as exc:
        vote(waiting, members[0], decision, comment)
    assert set(exc.value.fields) == fields


def test_votes_are_only_taken_in_authorization(agent, team, members):
    draft = ready_change(by=agent, assignment_group=team)
    with pytest.raises(Conflict):
        vote(draft, members[0], "approve")


def test_emergency_changes_go_to_the_emergency_cab(
    agent, team, members, emergency_members, settings
):
    settings.CHANGE_EMERGENCY_CAB_QUORUM = "1"
    change = ready_change(by=agent, assignment_group=team, change_type="emergency")
    change = change_in("authorization", change=change, agent=agent)
    with pytest.raises(NotPermitted):
        vote(change, members[0], "approve")
    vote(change, emergency_members[0], "approve", "Go ahead tonight.")
    assert status_of(change) == "scheduled"


def test_a_change_without_a_board_cannot_ask_for_authorization(agent, team):
    change = change_in(
        "assessment", change=ready_change(by=agent, assignment_group=team), agent=agent
    )
    with pytest.raises(Conflict):
        services.change_request_authorization(change=change, by=agent)
    assert status_of(change) == "assessment"


def test_inactive_members_and_teams_do_not_count(settings, cab, members, agent, team):
    settings.CHANGE_CAB_QUORUM = "1.0"
    members[2].is_active = False
    members[2].save()
    change = ready_change(by=agent, assignment_group=team)
    assert board_for(change).voter_ids == {members[0].pk, members[1].pk}
    cab.is_active = False
    cab.save()
    assert board_for(change).voter_ids == frozenset()


def test_the_board_is_asked_by_mail_and_the_requester_told_the_decision(
    agent, team, members, manager, django_capture_on_commit_callbacks, settings
):
    settings.CHANGE_CAB_QUORUM = "1"
    change = change_in(
        "assessment", change=ready_change(by=agent, assignment_group=team), agent=agent
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_authorization(change=change, by=agent)
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted(u.email for u in [*members, manager])
    assert mail.outbox[0].subject == f"[{change.number}] Your vote is needed: {change.title}"
    with django_capture_on_commit_callbacks(execute=True):
        vote(change, members[0], "approve")
    assert mail.outbox[1].to == [agent.email]
    assert mail.outbox[1].subject == f"[{change.number}] The CAB approved your change"


def test_a_new_member_joins_the_board_of_changes_already_waiting(waiting, cab, settings):
    settings.CHANGE_CAB_QUORUM = "1.0"
    late = make_cab_member(cab, username="late")
    assert late.pk in board_for(waiting).voter_ids
