"""Email to ticket: read a mailbox, turn new mail into incidents and replies into comments.

``INBOUND_MAIL_URL`` names the mailbox:

- ``maildir:///var/mail/servicedesk`` — a local Maildir (the embedded default's choice;
  any MTA can deliver into it). Handled mail is marked seen (moved to ``cur/``),
  rejected mail goes to its ``.Rejected`` sub-folder.
- ``imaps://user:password@imap.example.com/INBOX`` (or ``imap://…?starttls=true``) —
  unseen messages are read without marking them; handled ones are flagged ``\\Seen``,
  rejected ones are moved to the ``Rejected`` folder (``?rejected=<folder>`` to rename).

A new message from a known user (matched on the email address) becomes an incident
through ``incidents.services.incident_create``; from an unknown sender it is refused,
unless ``INBOUND_MAIL_DEFAULT_REQUESTER`` names a user to file it for. A reply,
matched by ``[INC0000123]`` in the subject or our Message-ID in In-Reply-To /
References, becomes a public comment through ``comment_add`` when the sender may see
that ticket. Attachments follow within the attachment limits. Auto-replies, bounces,
bulk mail, our own notifications and oversized messages are rejected without a
ticket. Every message is remembered by its Message-ID and never handled twice.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import mailbox
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from servicedesk.core import permissions
from servicedesk.core import services as core
from servicedesk.core.choices import NUMBER_PREFIXES
from servicedesk.core.errors import ApplicationError
from servicedesk.core.models import Ticket, User

from .choices import InboundStatus
from .email_parser import ParsedAttachment, ParsedMessage, header, parse_message
from .emails import INTERNAL_TAG, message_id_domain
from .models import InboundMessage

logger = logging.getLogger(__name__)

NUMBER = "(?:" + "|".join(sorted(NUMBER_PREFIXES.values())) + r")\d{7}"
SUBJECT_NUMBER = re.compile(r"\[(" + NUMBER + r")\]")
# How often a message that failed unexpectedly is tried before it is set aside.
MAX_FAILURES = 3
DESCRIPTION_MAX = 50_000


@dataclass(frozen=True)
class Handled:
    """What became of one message."""

    record: InboundMessage
    duplicate: bool = False

    @property
    def status(self) -> str:
        return self.record.status


# --- one message -------------------------------------------------------------------------


def own_addresses() -> set[str]:
    """Addresses we send from: mail from them is our own, coming back."""
    candidates = [
        settings.DEFAULT_FROM_EMAIL,
        settings.SERVER_EMAIL,
        settings.NOTIFICATIONS_REPLY_TO,
        *settings.INBOUND_MAIL_OWN_ADDRESSES,
    ]
    return {parseaddr(c)[1].lower() for c in candidates if c and parseaddr(c)[1]}


def message_key(message_id: str, raw: bytes) -> str:
    """What a message is remembered by: its Message-ID, else its content."""
    basis = message_id.strip().lower().encode() if message_id.strip() else raw
    return hashlib.sha256(basis).hexdigest()


def handle_message(raw: bytes, *, size: int | None = None) -> Handled:
    """Turn one raw email into a ticket or a reply, or refuse it; never twice for one message."""
    size = len(raw) if size is None else size
    if size > settings.INBOUND_MAIL_MAX_BYTES:
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        message_id = header(headers, "Message-ID")
        return _reject(
            key=message_key(message_id, raw),
            message_id=message_id,
            sender=parseaddr(header(headers, "From"))[1],
            subject=header(headers, "Subject"),
            size=size,
            reason=_("The message is larger than %(limit)s MB.")
            % {"limit": settings.INBOUND_MAIL_MAX_BYTES // 2**20},
        )
    parsed = parse_message(raw, own_addresses=own_addresses())
    key = message_key(parsed.message_id, raw)
    known = InboundMessage.objects.filter(key=key).first()
    if known is not None and known.status != InboundStatus.FAILED:
        return Handled(known, duplicate=True)
    facts = {
        "key": key,
        "message_id": parsed.message_id,
        "sender": parsed.from_address[:254],
        "subject": parsed.subject[:300],
        "size": size,
    }
    if parsed.auto_reason:
        return _reject(
            **facts, reason=_("Sent automatically: %(why)s.") % {"why": parsed.auto_reason}
        )
    if not parsed.from_address:
        return _reject(**facts, reason=_("The message has no sender."))
    sender = user_for_address(parsed.from_address)
    ticket, answers_internal = ticket_for(parsed)
    try:
        if ticket is not None:
            return _reply(
                parsed, facts, ticket=ticket, sender=sender, answers_internal=answers_internal
            )
        return _new_ticket(parsed, facts, sender=sender)
    except AlreadyHandled as exc:
        # Another worker handled this very message meanwhile.
        return Handled(exc.record, duplicate=True)
    except ApplicationError as exc:
        reason = "; ".join([exc.message, *(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())])
        return _reject(**facts, reason=reason[:1000])
    except Exception as exc:
        logger.exception("Inbound message %s could not be handled.", parsed.message_id)
        return _record_failure(facts, f"{type(exc).__name__}: {exc}"[:1000])


def user_for_address(address: str) -> User | None:
    """The one active user with this email address; none if unknown or ambiguous."""
    users = list(User.objects.filter(email__iexact=address, is_active=True)[:2])
    if len(users) > 1:
        logger.warning("Inbound mail from %s: several users have that address.", address)
    return users[0] if len(users) == 1 else None


def ticket_for(parsed: ParsedMessage) -> tuple[Ticket | None, bool]:
    """The ticket a reply refers to (the number in the subject, else our Message-IDs), and
    whether it answers the email of an internal event (then it stays an internal note)."""
    numbers = SUBJECT_NUMBER.findall(parsed.subject)
    domain = re.escape(message_id_domain())
    ours = re.compile(
        r"^<(" + NUMBER + r")(\." + INTERNAL_TAG.rstrip(".") + r")?(?:\.[^@<>]*)?@" + domain + ">$",
        re.IGNORECASE,
    )
    answers_internal = False
    for reference in parsed.in_reply_to:
        found = ours.match(reference)
        answers_internal = answers_internal or bool(found and found.group(2))
    for reference in [*parsed.in_reply_to, *reversed(parsed.references)]:
        found = ours.match(reference)
        if found:
            numbers.append(found.group(1).upper())
    for number in numbers:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return ticket, answers_internal
    return None, False


def default_requester() -> User | None:
    username = settings.INBOUND_MAIL_DEFAULT_REQUESTER
    if not username:
        return None
    return User.objects.filter(username=username, is_active=True).first()


def _reply(
    parsed: ParsedMessage,
    facts: dict,
    *,
    ticket: Ticket,
    sender: User | None,
    answers_internal: bool = False,
) -> Handled:
    if sender is None:
        return _reject(
            **facts,
            reason=_("Replies are taken only from known users; %(address)s is not one.")
            % {"address": parsed.from_address},
        )
    if not permissions.can_view_ticket(sender, ticket):
        return _reject(
            **facts,
            reason=_("%(address)s may not see %(number)s.")
            % {"address": parsed.from_address, "number": ticket.number},
        )
    body = parsed.reply_text or parsed.text
    if not body.strip() and parsed.attachments:
        body = _("(Sent %(n)s attachment(s) by email.)") % {"n": len(parsed.attachments)}
    with transaction.atomic():
        record = _take(facts)
        # An agent answering an internal note's email writes another internal note.
        internal = answers_internal and permissions.can_work_ticket(sender, ticket)
        comment = core.comment_add(
            ticket=ticket, by=sender, body=body[:DESCRIPTION_MAX], internal=internal
        )
        skipped = _attach(parsed.attachments, ticket=ticket, by=sender, comment=comment)
        _done(record, InboundStatus.REPLIED, skipped, ticket=ticket, comment=comment)
    logger.info("Inbound mail %s added a reply to %s.", parsed.message_id, ticket.number)
    return Handled(record)


def _new_ticket(parsed: ParsedMessage, facts: dict, *, sender: User | None) -> Handled:
    from incidents.services import incident_create

    requester = sender or default_requester()
    if requester is None:
        return _reject(
            **facts,
            reason=_("%(address)s is not a known user and no default requester is set.")
            % {"address": parsed.from_address},
        )
    description = parsed.text
    if sender is None:
        sent_by = f"{parsed.from_name} <{parsed.from_address}>".strip()
        description = (
            _("Sent by email from %(sender)s.") % {"sender": sent_by} + "\n\n" + description
        )
    with transaction.atomic():
        record = _take(facts)
        incident = incident_create(
            by=requester,
            title=(parsed.subject or _("(no subject)"))[:200],
            description=description[:DESCRIPTION_MAX],
        )
        skipped = _attach(parsed.attachments, ticket=incident, by=requester)
        _done(record, InboundStatus.CREATED, skipped, ticket=incident)
    logger.info("Inbound mail %s became %s.", parsed.message_id, incident.number)
    return Handled(record)


def _attach(
    attachments: list[ParsedAttachment], *, ticket: Ticket, by: User, comment=None
) -> list[str]:
    """Add what fits the attachment rules; say which files were left out and why."""
    skipped = []
    for attachment in attachments:
        if len(attachment.content) > settings.ATTACHMENT_MAX_BYTES:
            skipped.append(_("%(name)s left out: too large.") % {"name": attachment.filename})
            continue
        upload = SimpleUploadedFile(
            attachment.filename, attachment.content, content_type=attachment.content_type
        )
        try:
            core.attachment_add(ticket=ticket, by=by, upload=upload, comment=comment)
        except ApplicationError as exc:
            messages = [m for ms in exc.fields.values() for m in ms] or [exc.message]
            skipped.append(
                _("%(name)s left out: %(why)s")
                % {"name": attachment.filename, "why": " ".join(messages)}
            )
    return skipped


class AlreadyHandled(Exception):
    """The message was recorded by another worker while this one worked on it."""

    def __init__(self, record: InboundMessage) -> None:
        self.record = record
        super().__init__(record.key)


def _take(facts: dict) -> InboundMessage:
    """Inside the handling transaction: the message's record, inserted or locked.

    Two workers on one message queue on the unique key (or the row lock); the second
    finds it handled and backs out, so one message never makes two tickets.
    """
    existing = InboundMessage.objects.select_for_update().filter(key=facts["key"]).first()
    if existing is not None:
        if existing.status != InboundStatus.FAILED:
            raise AlreadyHandled(existing)
        existing.attempts += 1
        return existing
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(**facts, status=InboundStatus.FAILED)
    except IntegrityError:
        raise AlreadyHandled(InboundMessage.objects.get(key=facts["key"])) from None


def _done(record: InboundMessage, status: str, skipped: list[str], **links) -> None:
    record.status = status
    record.reason = "; ".join(skipped)
    for name, value in links.items():
        setattr(record, name, value)
    record.save()


def _record(facts: dict, *, status: str, reason: str = "", **links) -> InboundMessage:
    record, created = InboundMessage.objects.get_or_create(
        key=facts["key"], defaults={**facts, "status": status, "reason": reason, **links}
    )
    if not created:  # a message that failed before and now went through
        record.status, record.reason = status, reason
        for name, value in links.items():
            setattr(record, name, value)
        record.attempts += 1
        record.save()
    return record


def _reject(*, reason: str, **facts) -> Handled:
    logger.info(
        "Inbound mail %s from %s rejected: %s", facts.get("message_id"), facts.get("sender"), reason
    )
    return Handled(_record(facts, status=InboundStatus.REJECTED, reason=reason))


def _record_failure(facts: dict, error: str) -> Handled:
    record = _record(facts, status=InboundStatus.FAILED, reason=error)
    return Handled(record)


# --- mailboxes ----------------------------------------------------------------------------


class Mailbox(Protocol):
    def messages(self) -> Iterator[tuple[str, bytes, int]]: ...
    def mark_handled(self, key: str) -> None: ...
    def mark_rejected(self, key: str) -> None: ...
    def close(self) -> None: ...


class MaildirMailbox:
    """A local Maildir: new or unseen messages in, seen or moved to ``.Rejected`` out."""

    def __init__(self, path: str, *, rejected_folder: str = "Rejected") -> None:
        self.box = mailbox.Maildir(path, factory=None, create=True)
        self.rejected_folder = rejected_folder

    def messages(self) -> Iterator[tuple[str, bytes, int]]:
        limit = settings.INBOUND_MAIL_MAX_BYTES
        for key in sorted(self.box.keys()):
            try:
                message = self.box.get_message(key)
            except KeyError:
                continue  # taken by another reader meanwhile
            if message.get_subdir() == "cur" and "S" in message.get_flags():
                continue
            with self.box.get_file(key) as handle:
                raw = handle.read(limit + 1)
                handle.seek(0, 2)
                size = handle.tell()
            yield key, raw, size

    def mark_handled(self, key: str) -> None:
        message = self.box.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        self.box[key] = message

    def mark_rejected(self, key: str) -> None:
        if self.rejected_folder not in self.box.list_folders():
            self.box.add_folder(self.rejected_folder)
        folder = self.box.get_folder(self.rejected_folder)
        message = self.box.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        folder.add(message)
        self.box.remove(key)

    def close(self) -> None:
        self.box.close()


class ImapMailbox:
    """An IMAP folder: unseen messages in (read without marking), then flagged or moved."""

    def __init__(
        self,
        *,
        host: str,
        port: int | None,
        username: str,
        password: str,
        folder: str,
        ssl: bool,
        starttls: bool = False,
        rejected_folder: str = "Rejected",
        timeout: float = 30,
    ) -> None:
        if ssl:
            self.conn = imaplib.IMAP4_SSL(host, port or 993, timeout=timeout)
        else:
            self.conn = imaplib.IMAP4(host, port or 143, timeout=timeout)
            if starttls:
                self.conn.starttls()
        self.conn.login(username, password)
        self.folder = folder
        self.rejected_folder = rejected_folder
        self._check(self.conn.select(_quote(folder)), "SELECT")

    @staticmethod
    def _check(answer: tuple, what: str) -> list:
        status, data = answer
        if status != "OK":
            raise imaplib.IMAP4.error(f"{what} failed: {data!r}")
        return data

    def messages(self) -> Iterator[tuple[str, bytes, int]]:
        limit = settings.INBOUND_MAIL_MAX_BYTES
        data = self._check(self.conn.uid("SEARCH", None, "UNSEEN"), "SEARCH")
        for uid in (data[0] or b"").split():
            key = uid.decode()
            sizes = self._check(self.conn.uid("FETCH", key, "(RFC822.SIZE)"), "FETCH")
            found = re.search(rb"RFC822\.SIZE (\d+)", sizes[0] if sizes and sizes[0] else b"")
            size = int(found.group(1)) if found else 0
            part = "BODY.PEEK[HEADER]" if size > limit else "BODY.PEEK[]"
            fetched = self._check(self.conn.uid("FETCH", key, f"({part})"), "FETCH")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), b"")
            yield key, raw, size or len(raw)

    def mark_handled(self, key: str) -> None:
        self._check(self.conn.uid("STORE", key, "+FLAGS", r"(\Seen)"), "STORE")

    def mark_rejected(self, key: str) -> None:
        self.conn.create(_quote(self.rejected_folder))  # fails harmlessly if it exists
        status, _data = self.conn.uid("COPY", key, _quote(self.rejected_folder))
        if status == "OK":
            self._check(self.conn.uid("STORE", key, "+FLAGS", r"(\Seen \Deleted)"), "STORE")
            self.conn.expunge()
        else:
            self.mark_handled(key)

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            self.conn.logout()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def open_mailbox(url: str) -> Mailbox:
    """The mailbox an INBOUND_MAIL_URL names."""
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    rejected = options.get("rejected", "Rejected")
    if parts.scheme == "maildir":
        return MaildirMailbox(unquote(parts.path), rejected_folder=rejected)
    if parts.scheme in ("imap", "imaps"):
        return ImapMailbox(
            host=parts.hostname or "localhost",
            port=parts.port,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            ssl=parts.scheme == "imaps",
            starttls=options.get("starttls", "").lower() in ("1", "true", "yes"),
            rejected_folder=rejected,
        )
    raise ValueError(f"Unsupported INBOUND_MAIL_URL scheme: {parts.scheme!r}")


def fetch_mailbox(*, url: str | None = None, limit: int | None = None) -> dict[str, int]:
    """Handle the mailbox's new messages; counts per outcome. Nothing to do when unset."""
    url = url if url is not None else settings.INBOUND_MAIL_URL
    if not url:
        return {}
    counts: Counter[str] = Counter()
    box = open_mailbox(url)
    try:
        for index, (key, raw, size) in enumerate(box.messages()):
            if limit is not None and index >= limit:
                break
            handled = handle_message(raw, size=size)
            if handled.duplicate:
                counts["duplicate"] += 1
            counts[handled.status] += 1
            if handled.status == InboundStatus.REJECTED:
                box.mark_rejected(key)
            elif handled.status == InboundStatus.FAILED:
                if handled.record.attempts >= MAX_FAILURES:
                    box.mark_rejected(key)
            else:
                box.mark_handled(key)
    finally:
        box.close()
    return dict(counts)
