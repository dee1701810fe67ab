"""Internal notes never reach end users by notification or email either."""

import pytest
from django.core import mail

from notifications.models import InAppNotification

from .access_world import SECRET, build_world


@pytest.mark.django_db
def test_no_notification_or_email_tells_an_end_user_of_an_internal_note(
    django_capture_on_commit_callbacks,
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        world = build_world()
    end_users = [world.users["e1"], world.users["e2"]]
    emails = [m for m in mail.outbox if {u.email for u in end_users} & set(m.to)]
    assert emails, "the end users were told of the public replies"
    for message in emails:
        text = message.subject + message.body
        text += "".join(str(content) for content, _type in getattr(message, "alternatives", []))
        assert SECRET not in text
    assert not InAppNotification.objects.filter(user__in=end_users, title__contains=SECRET)
    # The agents heard of them: the check above would see a leak.
    agent_mail = [m for m in mail.outbox if world.users["agent_a"].email in m.to]
    assert agent_mail or InAppNotification.objects.filter(user=world.users["lead_a"]).exists()
