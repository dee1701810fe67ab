"""Tasks run through the configured broker (Redis in CI) and a real worker."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from servicedesk.celery import app
from servicedesk.core.tasks import clear_expired_sessions


def make_session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["user"] = "someone"
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_clearing_sessions_keeps_live_ones_and_is_idempotent(db):
    live, expired = make_session(timedelta(hours=1)), make_session(timedelta(hours=-1))
    assert clear_expired_sessions() == 1
    assert clear_expired_sessions() == 0
    assert list(Session.objects.values_list("pk", flat=True)) == [live]
    assert expired != live


def test_the_beat_schedule_names_real_tasks(settings):
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_task_travels_through_the_broker_to_a_worker(settings):
    """Not eager: the message goes to the real broker and a worker thread consumes it."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    expired = make_session(timedelta(minutes=-5))
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            clear_expired_sessions.delay()
            deadline = timezone.now() + timedelta(seconds=20)
            while Session.objects.filter(pk=expired).exists() and timezone.now() < deadline:
                time.sleep(0.05)
    finally:
        app.conf.task_always_eager = True
    assert not Session.objects.filter(pk=expired).exists()
