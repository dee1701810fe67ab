"""Health checks for load balancers and monitoring: can we reach the database and the broker?

Each check answers ``"ok"`` or a short error that names the exception class only;
the details go to the log, never to an anonymous caller.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

OK = "ok"
# Seconds the broker check may spend connecting: a probe must answer fast.
BROKER_TIMEOUT = 2.0


class BrokerFolderUnavailable(OSError):
    """The filesystem broker's queue folder is missing or not writable."""


def _failure(check: str, exc: BaseException) -> str:
    logger.warning("Health check %s failed: %s", check, exc, exc_info=exc)
    return f"error: {type(exc).__name__}"


def check_database() -> str:
    """Run ``SELECT 1`` on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failure("database", exc)
    return OK


def check_broker(timeout: float = BROKER_TIMEOUT) -> str:
    """Open (and close) a connection to ``settings.CELERY_BROKER_URL``."""
    from servicedesk.celery import app

    try:
        with app.connection_for_write(
            url=settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            # Redis ignores connect_timeout; these bound its socket instead.
            transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
        ) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            if conn.transport.driver_type == "filesystem":
                # "Connecting" to a folder always works; what fails is writing to a missing one.
                folder = conn.default_channel.data_folder_out
                if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
                    raise BrokerFolderUnavailable(folder)
    except Exception as exc:
        return _failure("broker", exc)
    return OK


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
}


@dataclass(frozen=True)
class Health:
    """The result of every check; healthy only when all of them are ok."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(result == OK for result in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        return {"status": OK if self.ok else "error", "checks": dict(self.checks)}


def run_checks() -> Health:
    return Health(checks={name: check() for name, check in CHECKS.items()})
