"""The demo's change enablement: a normal change before the CAB, a template and a freeze."""

from changes.models import CABVote, Change, FreezePeriod, StandardChangeTemplate
from changes.services import available_transitions, can_vote
from servicedesk.core.demo import load_demo_data
from servicedesk.core.models import User


def test_the_demo_has_a_change_awaiting_the_cab_a_template_and_a_freeze(db):
    load_demo_data()
    load_demo_data()
    change = Change.objects.get()
    assert (change.status, change.change_type, change.risk, change.cab_decision) == (
        "authorization",
        "normal",
        "medium",
        "pending",
    )
    assert list(CABVote.objects.values_list("voter__username", "decision")) == [("iris", "approve")]
    assert change.planned_start.weekday() == 5
    assert not FreezePeriod.objects.filter(
        start__lt=change.planned_end, end__gt=change.planned_start
    ).exists()
    carol, victor = User.objects.get(username="carol"), User.objects.get(username="victor")
    assert can_vote(change, carol)
    assert can_vote(change, victor)
    assert available_transitions(change, User.objects.get(username="nick")) == ["cancel"]
    assert list(FreezePeriod.objects.values_list("name", flat=True)) == ["Year-end freeze"]
    template = StandardChangeTemplate.objects.get()
    assert list(template.configuration_items.values_list("name", flat=True)) == ["mail-gateway"]
