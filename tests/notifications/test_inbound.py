"""Email to ticket: the parser on real-world samples, new tickets, replies, refusals, mailboxes."""

import mailbox

import pytest
from django.core.management import call_command

from incidents.models import Incident
from notifications import inbound, tasks
from notifications.email_parser import parse_message
from notifications.models import InboundMessage
from servicedesk.core.models import Attachment, Comment
from tests.factories import make_end_user, make_incident

from .conftest import sample

OWN = {"servicedesk@localhost"}


# --- the parser --------------------------------------------------------------------------


def test_multipart_alternative_reads_the_plain_part():
    parsed = parse_message(sample("multipart_alternative.eml"), own_addresses=OWN)
    assert (parsed.from_name, parsed.from_address) == ("Eve Example", "eve@example.com")
    assert parsed.subject == "VPN drops every hour"
    assert parsed.message_id == "<CAF=x7kZ1r2@mail.example.com>"
    assert parsed.text == (
        "Hi,\n\nmy VPN connection drops every hour on the hour since Friday — the client says "
        '"session expired".\n\nThanks,\nEve'
    )
    assert "<div" in parsed.html
    assert parsed.attachments == []
    assert parsed.auto_reason == ""


def test_html_only_mail_becomes_readable_text():
    parsed = parse_message(sample("html_only.eml"))
    assert parsed.text == (
        "Hello,\n\nthe printer on floor 3 shows:\n\n- Error E-42\n- Paper jam & toner low"
        "\n\nRegards,\nFrank"
    )
    assert "alert" not in parsed.text
    assert "color" not in parsed.text


def test_iso_8859_1_headers_and_body_are_decoded():
    parsed = parse_message(sample("iso_8859_1.eml"))
    assert parsed.from_name == "Renée François"
    assert parsed.subject == "Café machine en panne"
    # Labelled Latin-1, written by a Windows client: the euro sign is windows-1252's.
    assert "la machine à café du 2ème étage est en panne depuis Noël." in parsed.text
    assert "Coût estimé : 80 €." in parsed.text


def test_windows_1252_quoted_printable_is_decoded():
    parsed = parse_message(sample("windows_1252.eml"))
    assert parsed.subject == "Outlook “crashes” on start"
    assert parsed.text == (
        "Outlook “crashes” right after the splash screen – since the update.\n"
        "It costs me €30 of overtime a day…\n\nBob"
    )


def test_a_forwarded_message_is_kept_as_text_and_as_an_eml_attachment():
    parsed = parse_message(sample("forwarded.eml"))
    assert parsed.text.startswith("Please raise this with the licence team")
    assert "---------- Forwarded message ---------" in parsed.text
    assert parsed.reply_text == parsed.text  # a forward is not a quote to cut
    [forwarded] = parsed.attachments
    assert (forwarded.filename, forwarded.content_type) == (
        "Licence server maintenance.eml",
        "message/rfc822",
    )
    assert b"The licence server will be down on Saturday" in forwarded.content


def test_a_reply_is_cut_above_the_quoted_notification():
    parsed = parse_message(sample("reply.eml"))
    assert parsed.reply_text == "It happened again at 10:00, screenshot attached earlier."
    assert parsed.in_reply_to == ["<INC0000001.e5.d9@localhost>"]
    assert parsed.references == ["<INC0000001@localhost>", "<INC0000001.e5.d9@localhost>"]
    outlook = parse_message(sample("reply_no_subject_number.eml"))
    assert outlook.reply_text == "Still broken."


@pytest.mark.parametrize(
    ("name", "replace", "reason"),
    [
        ("auto_reply.eml", {}, "Auto-Submitted: auto-replied"),
        ("bounce.eml", {}, "Auto-Submitted: auto-replied"),
        ("bounce.eml", {"Auto-Submitted: auto-replied\r\n": ""}, "delivery or read report"),
        (
            "multipart_alternative.eml",
            {"Subject:": "Precedence: bulk\r\nSubject:"},
            "Precedence: bulk",
        ),
        (
            "multipart_alternative.eml",
            {"Subject:": "X-Autoreply: yes\r\nSubject:"},
            "X-Autoreply header",
        ),
        (
            "multipart_alternative.eml",
            {'"Eve Example" <Eve@Example.com>': "<MAILER-DAEMON@example.com>"},
            "sent by mailer-daemon@example.com",
        ),
        (
            "multipart_alternative.eml",
            {'"Eve Example" <Eve@Example.com>': "Service Desk <servicedesk@localhost>"},
            "sent from our own address",
        ),
        (
            "multipart_alternative.eml",
            {"Subject: VPN": "Subject: Automatic reply: VPN"},
            "auto-reply subject",
        ),
        (
            "multipart_alternative.eml",
            {"Subject:": "X-Servicedesk-Event: ticket.created\r\nSubject:"},
            "one of our own notifications",
        ),
    ],
)
def test_mail_written_by_machines_is_recognised(name, replace, reason):
    assert parse_message(sample(name, **replace), own_addresses=OWN).auto_reason == reason


def test_a_broken_charset_label_does_not_stop_the_parser():
    raw = sample("iso_8859_1.eml", **{"charset=iso-8859-1": "charset=x-no-such-charset"})
    parsed = parse_message(raw)
    assert "Bonjour" in parsed.text
    assert "caf" in parsed.text


# --- turning mail into tickets and replies ---------------------------------------------------


def test_a_new_message_from_a_known_user_becomes_an_incident(end_user, committed, outbox):
    with committed():
        handled = inbound.handle_message(sample("multipart_alternative.eml"))
    assert (handled.status, handled.duplicate) == ("created", False)
    incident = Incident.objects.get()
    assert handled.record.ticket_id == incident.pk
    assert (incident.title, incident.requester, incident.created_by) == (
        "VPN drops every hour",
        end_user,
        end_user,
    )
    assert incident.description.startswith("Hi,\n\nmy VPN connection drops")
    # The sender hears back with the number, so that replies find the ticket.
    assert [m.subject for m in outbox] == [
        f"[{incident.number}] We received your request: VPN drops every hour"
    ]


def test_attachments_come_along_within_the_rules(end_user):
    handled = inbound.handle_message(sample("with_attachments.eml"))
    incident = Incident.objects.get()
    files = Attachment.objects.filter(ticket=incident).order_by("filename")
    assert [(a.filename, a.content_type, a.internal) for a in files] == [
        ("screen.png", "image/png", False),
        ("vpn-log.txt", "text/plain", False),
    ]
    assert "setup.exe left out" in handled.record.reason


def test_an_attachment_over_the_size_limit_is_left_out(end_user, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    handled = inbound.handle_message(sample("with_attachments.eml"))
    assert [a.filename for a in Attachment.objects.all()] == ["vpn-log.txt"]
    assert "screen.png left out: too large." in handled.record.reason


def test_a_forwarded_message_arrives_as_an_eml_file(db):
    carol = make_end_user(username="carol")
    inbound.handle_message(sample("forwarded.eml"))
    incident = Incident.objects.get(requester=carol)
    assert [a.filename for a in incident.attachments.all()] == ["Licence server maintenance.eml"]


def test_an_unknown_sender_is_refused_without_a_ticket(db):
    handled = inbound.handle_message(sample("multipart_alternative.eml"))
    assert handled.status == "rejected"
    assert "eve@example.com is not a known user" in handled.record.reason
    assert not Incident.objects.exists()


def test_an_unknown_sender_is_filed_for_the_default_requester(db, settings):
    desk = make_end_user(username="email-intake")
    settings.INBOUND_MAIL_DEFAULT_REQUESTER = "email-intake"
    inbound.handle_message(sample("iso_8859_1.eml"))
    incident = Incident.objects.get()
    assert incident.requester == desk
    assert incident.description.startswith(
        "Sent by email from Renée François <renee@example.fr>.\n\nBonjour,"
    )


def test_the_same_message_is_never_handled_twice(end_user):
    first = inbound.handle_message(sample("multipart_alternative.eml"))
    again = inbound.handle_message(sample("multipart_alternative.eml"))
    assert (again.duplicate, again.record.pk) == (True, first.record.pk)
    assert Incident.objects.count() == 1
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize("name", ["reply.eml", "reply_no_subject_number.eml"])
def test_a_reply_becomes_a_public_comment(end_user, team, name):
    incident = make_incident(requester=end_user, assignment_group=team)
    handled = inbound.handle_message(sample(name, INC0000001=incident.number))
    assert handled.status == "replied"
    comment = Comment.objects.get(ticket=incident)
    assert (comment.author, comment.internal) == (end_user, False)
    assert comment.body in (
        "It happened again at 10:00, screenshot attached earlier.",
        "Still broken.",
    )
    assert handled.record.comment_id == comment.pk
    assert Incident.objects.count() == 1


def test_a_reply_from_someone_who_may_not_see_the_ticket_is_refused(end_user, team):
    incident = make_incident(requester=make_end_user(username="mallory"), assignment_group=team)
    handled = inbound.handle_message(sample("reply.eml", INC0000001=incident.number))
    assert handled.status == "rejected"
    assert f"may not see {incident.number}" in handled.record.reason
    assert not Comment.objects.exists()


def test_a_reply_from_an_unknown_sender_is_refused_even_with_a_default_requester(team, settings):
    make_end_user(username="email-intake")
    settings.INBOUND_MAIL_DEFAULT_REQUESTER = "email-intake"
    incident = make_incident(requester=make_end_user(username="mallory"), assignment_group=team)
    handled = inbound.handle_message(sample("reply.eml", INC0000001=incident.number))
    assert handled.status == "rejected"
    assert not Comment.objects.exists()


def test_an_agent_answering_an_internal_note_email_writes_an_internal_note(team, agent):
    incident = make_incident(assignment_group=team, assignee=agent)
    raw = sample(
        "reply.eml",
        **{
            "Eve Example <eve@example.com>": f"Alice <{agent.email}>",
            "<INC0000001.e5.d9@localhost>": "<INC0000001.internal.e5.d9@localhost>",
            "INC0000001": incident.number,
        },
    )
    assert inbound.handle_message(raw).status == "replied"
    assert Comment.objects.get().internal is True


@pytest.mark.parametrize("name", ["auto_reply.eml", "bounce.eml"])
def test_auto_replies_and_bounces_to_a_ticket_add_nothing(end_user, team, name):
    incident = make_incident(requester=end_user, assignment_group=team)
    handled = inbound.handle_message(sample(name, INC0000001=incident.number))
    assert handled.status == "rejected"
    assert handled.record.reason.startswith("Sent automatically:")
    assert not Comment.objects.exists()


def test_an_oversized_message_is_refused_unread(end_user, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 500
    handled = inbound.handle_message(sample("multipart_alternative.eml"))
    assert handled.status == "rejected"
    assert handled.record.reason == "The message is larger than 0 MB."
    assert handled.record.message_id == "<CAF=x7kZ1r2@mail.example.com>"
    assert not Incident.objects.exists()


def test_a_message_that_fails_is_tried_again_then_set_aside(end_user, monkeypatch, tmp_path):
    import incidents.services

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(incidents.services, "incident_create", broken)
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add(sample("multipart_alternative.eml"))
    url = f"maildir://{tmp_path / 'mail'}"
    assert inbound.fetch_mailbox(url=url) == {"failed": 1}
    assert inbound.fetch_mailbox(url=url) == {"failed": 1}
    assert len(box) == 1  # still there, still unseen
    assert inbound.fetch_mailbox(url=url) == {"failed": 1}
    assert len(box) == 0
    assert len(box.get_folder("Rejected")) == 1
    record = InboundMessage.objects.get()
    assert (record.status, record.attempts) == ("failed", 3)
    assert "database hiccup" in record.reason


# --- mailboxes ----------------------------------------------------------------------------


@pytest.fixture
def maildir(tmp_path):
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    return box, f"maildir://{tmp_path / 'inbox'}"


def test_a_maildir_is_read_once_handled_mail_marked_seen_refused_mail_moved(
    end_user, maildir, committed
):
    box, url = maildir
    box.add(sample("multipart_alternative.eml"))
    box.add(sample("bounce.eml"))
    box.add(sample("html_only.eml"))  # frank is unknown

    with committed():
        counts = inbound.fetch_mailbox(url=url)

    assert counts == {"created": 1, "rejected": 2}
    assert [m["Subject"] for m in box] == ["VPN drops every hour"]
    [kept] = box.values()
    assert (kept.get_subdir(), "S" in kept.get_flags()) == ("cur", True)
    assert sorted(m["Subject"] for m in box.get_folder("Rejected")) == [
        "Printer on floor 3",
        "Undelivered Mail Returned to Sender",
    ]
    assert inbound.fetch_mailbox(url=url) == {}
    assert Incident.objects.count() == 1


def test_the_command_and_the_task_read_the_configured_mailbox(end_user, maildir, settings, capsys):
    box, url = maildir
    box.add(sample("multipart_alternative.eml"))
    call_command("fetch_inbound_mail", url=url)
    assert capsys.readouterr().out.strip() == "1 created"

    box.add(sample("windows_1252.eml"))  # bob is unknown
    settings.INBOUND_MAIL_URL = url
    assert tasks.fetch_inbound_mail() == {"rejected": 1}
    settings.INBOUND_MAIL_URL = ""
    assert tasks.fetch_inbound_mail() == {}


def test_the_command_explains_a_missing_mailbox(db, settings):
    from django.core.management.base import CommandError

    settings.INBOUND_MAIL_URL = ""
    with pytest.raises(CommandError, match="Set INBOUND_MAIL_URL"):
        call_command("fetch_inbound_mail")
    with pytest.raises(CommandError, match="Unsupported INBOUND_MAIL_URL scheme"):
        call_command("fetch_inbound_mail", url="pop3://mail.example.com/")


class FakeIMAP:
    """Just enough of imaplib.IMAP4 for the mailbox: UIDs, flags, folders."""

    instances: list["FakeIMAP"] = []

    def __init__(self, host, port, timeout=None):
        self.address = (host, port)
        self.messages = {b"7": sample("multipart_alternative.eml"), b"9": sample("bounce.eml")}
        self.flags: dict[bytes, set[str]] = {uid: set() for uid in self.messages}
        self.folders: dict[str, list[bytes]] = {}
        self.calls: list[tuple] = []
        FakeIMAP.instances.append(self)

    def login(self, user, password):
        self.calls.append(("login", user, password))
        return "OK", [b"logged in"]

    def select(self, folder):
        self.calls.append(("select", folder))
        return "OK", [b"2"]

    def uid(self, command, *args):
        if command == "SEARCH":
            unseen = [u for u in self.messages if "\\Seen" not in self.flags[u]]
            return "OK", [b" ".join(unseen)]
        uid = args[0].encode()
        if command == "FETCH":
            if args[1] == "(RFC822.SIZE)":
                return "OK", [b"1 (UID %s RFC822.SIZE %d)" % (uid, len(self.messages[uid]))]
            return "OK", [(b"1 (UID %s BODY[] {n}" % uid, self.messages[uid]), b")"]
        if command == "STORE":
            self.flags[uid] |= set(args[2].strip("()").split())
            return "OK", []
        if command == "COPY":
            self.folders.setdefault(args[1], []).append(uid)
            return "OK", []
        raise AssertionError(command)

    def create(self, folder):
        return "NO", [b"exists"]

    def expunge(self):
        for uid in [u for u, f in self.flags.items() if "\\Deleted" in f]:
            del self.messages[uid]
        return "OK", []

    def close(self):
        return "OK", []

    def logout(self):
        return "BYE", []


def test_an_imap_mailbox_is_read_without_marking_then_flagged_or_moved(end_user, monkeypatch):
    FakeIMAP.instances.clear()
    monkeypatch.setattr(inbound.imaplib, "IMAP4_SSL", FakeIMAP)
    counts = inbound.fetch_mailbox(url="imaps://desk%40example.com:p%40ss@imap.example.com/INBOX")
    assert counts == {"created": 1, "rejected": 1}
    server = FakeIMAP.instances[0]
    assert server.address == ("imap.example.com", 993)
    assert server.calls[:2] == [("login", "desk@example.com", "p@ss"), ("select", '"INBOX"')]
    assert server.flags[b"7"] == {"\\Seen"}
    assert list(server.messages) == [b"7"]  # the bounce left the inbox…
    assert server.folders == {'"Rejected"': [b"9"]}  # …for the Rejected folder
