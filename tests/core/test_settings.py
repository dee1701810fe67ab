"""The settings read the environment, and production refuses unsafe values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-secret-key-that-is-long-enough-0123456789"


def run_django(settings_module: str, code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": "true"}, "DEBUG must be off in production"),
        ({}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "Set SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(env, message):
    result = run_django("servicedesk.settings.production", "print('started')", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "started" not in result.stdout


def test_production_passes_the_deployment_checklist():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "servicedesk.settings.production",
            "SECRET_KEY": GOOD_KEY,
            "ALLOWED_HOSTS": "desk.example.com",
            "DEBUG": "false",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_to_the_embedded_stack():
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG, s.EMAIL_BACKEND)"
    )
    result = run_django(
        "servicedesk.settings.local", code, DATABASE_URL="", CELERY_BROKER_URL="", EMAIL_URL=""
    )
    # Empty variables count as unset, as in a fresh shell.
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_the_environment_switches_database_broker_and_email():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'], s.CELERY_BROKER_URL, s.EMAIL_HOST, s.EMAIL_PORT, "
        "s.ALLOWED_HOSTS)"
    )
    result = run_django(
        "servicedesk.settings.local",
        code,
        DATABASE_URL="postgres://desk:pw@db.internal:5432/desk",
        CELERY_BROKER_URL="redis://cache.internal:6379/1",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
        ALLOWED_HOSTS="desk.example.com,desk2.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "desk",
        "db.internal",
        "redis://cache.internal:6379/1",
        "smtp.example.com",
        "587",
        "['desk.example.com',",
        "'desk2.example.com']",
    ]


def test_import_requests_is_the_http_library_not_an_app():
    """The service request app is ``service_requests``: ``requests`` stays the PyPI library."""
    import requests

    import service_requests

    assert hasattr(requests, "get")
    assert hasattr(requests, "Session")
    assert "site-packages" in requests.__file__
    assert Path(service_requests.__file__).parent == ROOT / "service_requests"
