"""/healthz: database and broker checks, 200 or 503, never a 500."""

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from servicedesk.celery import app, ensure_filesystem_broker_folders
from servicedesk.core import health

# Nothing listens on port 1: the connection is refused at once.
CLOSED_BROKER_URL = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def broker_ready():
    """The configured broker as the run command prepares it (the filesystem one needs folders)."""
    ensure_filesystem_broker_folders()


def test_healthz_is_ok_on_the_configured_database_and_broker(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


def test_healthz_needs_no_sign_in_and_answers_head(client, db):
    assert reverse("healthz") == "/healthz"
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_an_unreachable_broker_gives_503_and_leaves_the_app_as_it_was(client, db):
    broker_url = app.conf.broker_url

    with override_settings(CELERY_BROKER_URL=CLOSED_BROKER_URL):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "ok", "broker": "error: OperationalError"},
    }
    assert response["Cache-Control"] == "no-store"
    # The check passed the URL to one connection; the app's own configuration is untouched.
    assert app.conf.broker_url == broker_url
    assert client.get(reverse("healthz")).status_code == 200


def test_a_missing_filesystem_queue_folder_fails_the_broker_check(tmp_path, db):
    options = {**(app.conf.broker_transport_options or {})}
    missing = tmp_path / "no-such-folder"

    with override_settings(CELERY_BROKER_URL="filesystem://"):
        app.conf.broker_transport_options = {**options, "data_folder_out": str(missing)}
        try:
            result = health.check_broker()
        finally:
            app.conf.broker_transport_options = options

    assert result == "error: BrokerFolderUnavailable"


def test_a_failing_database_gives_503_not_500(client, db, monkeypatch):
    class UnreachableDatabase:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "error: OperationalError", "broker": "ok"},
    }


def test_failures_name_the_error_but_never_its_details(db):
    with override_settings(CELERY_BROKER_URL="redis://user:s3cret@127.0.0.1:1/0"):
        result = health.run_checks()

    assert result.ok is False
    assert result.as_dict()["checks"]["broker"] == "error: OperationalError"
    assert "s3cret" not in str(result.as_dict())


def test_the_check_health_command_reports_each_check(db, capsys):
    from django.core.management import call_command

    call_command("check_health")
    assert capsys.readouterr().out.splitlines() == ["database: ok", "broker: ok"]


def test_the_check_health_command_fails_when_the_broker_is_down(db, settings, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(CommandError, match="unhealthy"):
        call_command("check_health")
    assert capsys.readouterr().out.splitlines() == [
        "database: ok",
        "broker: error: OperationalError",
    ]
