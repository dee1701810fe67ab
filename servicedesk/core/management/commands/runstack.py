"""``manage.py runstack``: the whole site on one machine — web server, Celery worker and beat."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicedesk.celery import ensure_filesystem_broker_folders
from servicedesk.core.demo import DEMO_LOGINS, DEMO_PASSWORD

DEFAULT_ADDRPORT = "127.0.0.1:8000"
STOP_TIMEOUT = 10.0


@dataclass
class Child:
    """A child process of the stack and the file its output goes to."""

    name: str
    process: subprocess.Popen
    log_path: Path


def worker_command() -> list[str]:
    """The Celery worker, run by this very Python so it uses the same virtualenv."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "servicedesk",
        "worker",
        "-l",
        "INFO",
        "--concurrency=2",
        "--without-gossip",
        "--without-mingle",
    ]


def beat_command(var_dir: Path) -> list[str]:
    """Celery beat with its schedule file under ``var_dir`` and no pid file to go stale."""
    schedule = var_dir / "celery" / "celerybeat-schedule"
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "servicedesk",
        "beat",
        "-l",
        "INFO",
        "--pidfile=",
        "--schedule",
        str(schedule),
    ]


def start_child(
    name: str, argv: list[str], *, log_path: Path, env: Mapping[str, str] | None = None
) -> Child:
    """Start one child with its output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=settings.BASE_DIR,
            env=dict(os.environ if env is None else env),
            # Its own session: Ctrl-C in the terminal reaches only us, and we stop it in order.
            start_new_session=True,
        )
    return Child(name=name, process=process, log_path=log_path)


def start_celery(var_dir: Path, *, env: Mapping[str, str] | None = None) -> list[Child]:
    """Start the Celery worker and beat, logging to ``var_dir``/log."""
    (var_dir / "celery").mkdir(parents=True, exist_ok=True)
    log_dir = var_dir / "log"
    return [
        start_child("worker", worker_command(), log_path=log_dir / "worker.log", env=env),
        start_child("beat", beat_command(var_dir), log_path=log_dir / "beat.log", env=env),
    ]


def stop_children(children: Iterable[Child], *, timeout: float = STOP_TIMEOUT) -> None:
    """Ask every child to stop (TERM), wait up to ``timeout``, then kill what is left."""
    children = list(children)
    for child in children:
        if child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # The whole session, so that a worker's pool processes go too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


def split_addrport(addrport: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``port`` as (host, port); the host defaults to 127.0.0.1."""
    host, sep, port = addrport.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", addrport
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit():
        raise CommandError(f"“{addrport}” is not a port or address:port pair.")
    return host, int(port)


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def render_banner(addrport: str, children: Iterable[Child], *, worker: bool = True) -> str:
    """What runs where, and who to sign in as."""
    host, port = split_addrport(addrport)
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    lines = [
        "=" * 72,
        f"  {settings.SERVICEDESK_SITE_NAME} is starting",
        "",
        f"  Site:      {base}/",
        f"  Admin:     {base}/admin/",
        f"  API docs:  {base}/api/docs/",
        "",
    ]
    if worker:
        lines += [
            f"  Celery {child.name}: pid {child.process.pid}, log {child.log_path}"
            for child in children
        ]
    else:
        lines.append("  Celery: not started (--no-worker); tasks wait in the queue.")
    width = max(map(len, DEMO_LOGINS))
    lines += [
        "",
        f"  Demo logins (password “{DEMO_PASSWORD}”; load them with manage.py load_demo_data):",
        *(f"    {name:<{width}}  {role}" for name, role in DEMO_LOGINS.items()),
        "",
        "  Stop with Ctrl-C.",
        "=" * 72,
    ]
    return "\n".join(lines)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turns SIGTERM into a normal exit, so that the children are stopped on the way out.
    raise SystemExit(0)


class Command(BaseCommand):
    """Run the development server in the foreground with Celery worker and beat beside it."""

    help = "Run the whole site: web server, Celery worker and Celery beat, stopped together."
    requires_system_checks: list[str] = []  # runserver runs them itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport", nargs="?", default=DEFAULT_ADDRPORT, help="host:port to serve on."
        )
        parser.add_argument(
            "--no-worker",
            action="store_false",
            dest="worker",
            help="Do not start the Celery worker and beat.",
        )

    def handle(self, *args: Any, addrport: str, worker: bool, **options: Any) -> None:
        host, port = split_addrport(addrport)
        # runserver ends the process at once on a busy port, which would orphan the children.
        if not port_is_free(host, port):
            raise CommandError(f"Something is already listening on {host}:{port}.")
        var_dir = Path(settings.VAR_DIR)
        ensure_filesystem_broker_folders()
        children = start_celery(var_dir) if worker else []
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self.stdout.write(render_banner(addrport, children, worker=worker))
            self.stdout.flush()
            call_command("runserver", addrport, use_reloader=False)
        finally:
            # A second Ctrl-C must not cut the shutdown short and orphan the children.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, previous)
            if children:
                self.stdout.write("Stopping Celery worker and beat…")
                stop_children(children)
                self.stdout.write("Stopped.")
