"""The run command: web server, Celery worker and beat, started together and stopped together."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from servicedesk.core.demo import DEMO_LOGINS
from servicedesk.core.management.commands.runstack import (
    beat_command,
    render_banner,
    split_addrport,
    start_celery,
    start_child,
    stop_children,
    worker_command,
)


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def sandbox(tmp_path: Path, var_dir: Path) -> dict[str, str]:
    """The environment of a site of its own: its var dir, SQLite file and filesystem broker."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.local",
        "SERVICEDESK_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "PYTHONUNBUFFERED": "1",
    }


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def session_is_gone(pid: int) -> bool:
    """Whether no process is left in the session (and group) a child was started in."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the pieces -----------------------------------------------------------------------------


def test_celery_runs_from_this_virtualenv_with_the_documented_options(var_dir):
    assert worker_command() == [
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
    assert beat_command(var_dir) == [
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
        str(var_dir / "celery" / "celerybeat-schedule"),
    ]


def test_worker_and_beat_start_stay_up_and_stop_cleanly(sandbox, var_dir):
    children = start_celery(var_dir, env=sandbox)
    worker_log, beat_log = var_dir / "log" / "worker.log", var_dir / "log" / "beat.log"
    try:
        assert [(c.name, c.log_path) for c in children] == [
            ("worker", worker_log),
            ("beat", beat_log),
        ]
        assert wait_until(lambda: "celery@" in read(worker_log) and " ready." in read(worker_log))
        assert wait_until(lambda: "beat: Starting..." in read(beat_log))
        time.sleep(2)
        assert [c.process.poll() for c in children] == [None, None]
        # The children use the sandbox's filesystem broker, not the developer's.
        assert "Connected to filesystem://" in read(worker_log)
        assert sorted(p.name for p in (var_dir / "celery").iterdir() if p.is_dir()) == [
            "control",
            "processed",
            "queue",
        ]
    finally:
        stop_children(children, timeout=30)
    assert [c.process.returncode for c in children] == [0, 0]
    assert "worker: Warm shutdown (MainProcess)" in read(worker_log)
    assert [session_is_gone(c.process.pid) for c in children] == [True, True]


def test_a_child_that_ignores_term_is_killed_after_the_timeout(tmp_path):
    log = tmp_path / "stubborn.log"
    child = start_child(
        "stubborn",
        [
            sys.executable,
            "-c",
            "import signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('ignoring TERM', flush=True)\n"
            "time.sleep(60)\n",
        ],
        log_path=log,
    )
    assert wait_until(lambda: read(log) == "ignoring TERM\n", timeout=10)
    started = time.monotonic()
    stop_children([child], timeout=0.5)
    assert child.process.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5
    assert session_is_gone(child.process.pid)


@pytest.mark.parametrize(
    ("addrport", "expected"),
    [
        ("8010", ("127.0.0.1", 8010)),
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
        ("[::1]:8000", ("::1", 8000)),
    ],
)
def test_split_addrport(addrport, expected):
    assert split_addrport(addrport) == expected


def test_split_addrport_refuses_a_port_that_is_not_a_number():
    with pytest.raises(CommandError) as refused:
        split_addrport("localhost:http")
    assert str(refused.value) == "“localhost:http” is not a port or address:port pair."


def test_the_banner_shows_where_everything_is_and_every_demo_login():
    lines = render_banner("127.0.0.1:8010", [], worker=True).splitlines()
    assert lines[2:7] == [
        "",
        "  Site:      http://127.0.0.1:8010/",
        "  Admin:     http://127.0.0.1:8010/admin/",
        "  API docs:  http://127.0.0.1:8010/api/docs/",
        "",
    ]
    logins = [f"    {name:<6}  {role}" for name, role in DEMO_LOGINS.items()]
    start = lines.index("  Demo logins (password “demo”; load them with manage.py load_demo_data):")
    assert lines[start + 1 : start + 1 + len(DEMO_LOGINS)] == logins
    assert len(logins) == 15
    assert "    admin   superuser and service-desk admin" in logins
    assert "    alice   agent, Service Desk" in logins


def test_the_banner_says_when_celery_is_not_started():
    lines = render_banner("0.0.0.0:8000", [], worker=False).splitlines()
    assert "  Site:      http://127.0.0.1:8000/" in lines
    assert "  Celery: not started (--no-worker); tasks wait in the queue." in lines


def test_runstack_refuses_a_busy_port_before_starting_anything():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError) as refused:
            call_command("runstack", f"127.0.0.1:{port}")
    assert str(refused.value) == f"Something is already listening on 127.0.0.1:{port}."


# --- the whole stack ----------------------------------------------------------------------


def test_runstack_serves_the_site_and_stops_its_children_on_sigterm(sandbox, var_dir):
    port = free_port()
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=sandbox,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def serves() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    worker_log = var_dir / "log" / "worker.log"
    try:
        assert wait_until(serves)
        assert wait_until(lambda: " ready." in read(worker_log))
        assert wait_until(lambda: "beat: Starting..." in read(var_dir / "log" / "beat.log"))
        assert stack.poll() is None
    finally:
        stack.send_signal(signal.SIGTERM)
        output, _ = stack.communicate(timeout=60)
    assert stack.returncode == 0, output
    children = re.findall(r"^  Celery (\w+): pid (\d+), log (.+)$", output, re.MULTILINE)
    assert [(name, log) for name, _pid, log in children] == [
        ("worker", str(worker_log)),
        ("beat", str(var_dir / "log" / "beat.log")),
    ]
    assert f"  Site:      http://127.0.0.1:{port}/" in output.splitlines()
    assert output.rstrip().endswith("Stopping Celery worker and beat…\nStopped.")
    assert [session_is_gone(int(pid)) for _name, pid, _log in children] == [True, True]
    assert "worker: Warm shutdown (MainProcess)" in read(worker_log)
