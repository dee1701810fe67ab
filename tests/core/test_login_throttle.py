"""Sign-in rate limiting."""

import pytest
from django.urls import reverse

from servicedesk.core import login_throttle

LOGIN = "/accounts/login/"


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_PER_USER = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_an_account_locks_after_repeated_failures_even_with_the_right_password(
    client, agent, limits
):
    for _ in range(3):
        response = attempt(client, agent.username, "wrong")
        assert "Please enter a correct username and password" in response.content.decode()
    response = attempt(client, agent.username, "pass-word-123")
    assert response.status_code == 200
    assert "Too many failed attempts. Try again in 15 minute(s)." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_clears_the_count(client, agent, limits):
    attempt(client, agent.username, "wrong")
    attempt(client, agent.username, "wrong")
    assert attempt(client, agent.username, "pass-word-123").status_code == 302
    client.logout()
    attempt(client, agent.username, "wrong")
    attempt(client, agent.username, "wrong")
    assert attempt(client, agent.username, "pass-word-123").status_code == 302


def test_one_address_guessing_many_accounts_is_slowed_down(client, agent, limits):
    for n in range(5):
        attempt(client, f"nobody{n}", "guess")
    response = attempt(client, agent.username, "pass-word-123")
    assert "Too many failed attempts" in response.content.decode()


def test_the_lock_ends_when_the_window_passes(monkeypatch, limits):
    now = [1_000_000.0]
    monkeypatch.setattr(login_throttle.time, "time", lambda: now[0])
    for _ in range(3):
        login_throttle.record_failure("alice", "10.0.0.1")
    assert login_throttle.seconds_locked("Alice ", "10.0.0.2") == 901
    now[0] += 901
    assert login_throttle.seconds_locked("alice", "10.0.0.2") == 0


def test_the_login_page_still_renders(client, db):
    assert client.get(reverse("login")).status_code == 200
