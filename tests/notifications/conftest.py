"""Fixtures of the notification tests: running what commits queue, a webhook receiver, mail."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str, **replace: str) -> bytes:
    """A raw .eml fixture, with ``OLD=new`` replacements (e.g. the ticket number)."""
    raw = (SAMPLES / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what the block queued on commit, as a real commit would.

    Tasks run eagerly (test settings), so the outbox is processed and sent on exit,
    including what the processing itself queues on commit.
    """

    @contextlib.contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block


@pytest.fixture
def outbox():
    """The emails sent so far (Django's locmem backend), cleared first."""
    mail.outbox.clear()
    return mail.outbox


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what it gets and answers ``status``."""

    url: str
    status: int = 200
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(
                Received(path=self.path, headers=dict(self.headers.items()), body=body)
            )
            answer = b'{"ok": true}' if receiver.status < 400 else b"boom"
            self.send_response(receiver.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/desk"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def dead_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def emails_to() -> Callable[[str], list]:
    def find(address: str) -> list:
        return [m for m in mail.outbox if address in m.to]

    return find
