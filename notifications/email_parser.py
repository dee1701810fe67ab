"""Reading an email as people and mail servers actually write them.

``parse_message`` takes the raw bytes and gives the sender, subject, threading
headers, a plain-text body (from text/plain, else converted from HTML), the
attachments (a forwarded message/rfc822 part becomes an ``.eml`` attachment) and,
if the message was written by a machine (auto-reply, bounce, bulk mail, our own
notification), why. Broken or mislabelled charsets are decoded as well as they can
be, never refused: ``iso-8859-1`` and ``us-ascii`` labels are read as windows-1252,
which is what such mail nearly always is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html import unescape
from html.parser import HTMLParser

# Charsets that mail software writes when it means windows-1252 (as browsers do, WHATWG).
WINDOWS_1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
ROBOT_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
AUTOREPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto-?reply|autoreply|out of office( reply)?|abwesenheitsnotiz)\s*:",
    re.IGNORECASE,
)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Where a reply's own text ends: our marker, or the usual quote introductions.
REPLY_CUTS = (
    re.compile(r"^.*##- Please type your reply above this line -##.*$", re.MULTILINE),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^On .{1,200}(\n.{1,200})?wrote:\s*$", re.MULTILINE),
    re.compile(r"^Le .{1,200}(\n.{1,200})?a écrit\s*:\s*$", re.MULTILINE),
    re.compile(r"^Am .{1,200}(\n.{1,200})?schrieb .{0,200}:\s*$", re.MULTILINE),
    re.compile(r"^_{10,}\s*\n(From|De|Von):", re.MULTILINE),
)


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMessage:
    """What a message says, decoded."""

    message_id: str = ""
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Empty when a person wrote it; otherwise why it counts as automatic.
    auto_reason: str = ""

    @property
    def reply_text(self) -> str:
        """The body without the quoted message it answers."""
        return strip_quoted(self.text)


def header(message: Message, name: str) -> str:
    """A header decoded to text; a malformed one gives what can be read, never an error."""
    try:
        value = message.get(name)
    except Exception:  # a defective header the policy cannot parse: take it raw
        wanted = name.lower()
        value = next((v for k, v in message.raw_items() if k.lower() == wanted), "")
    return " ".join(str(value or "").split())


def parse_message(
    raw: bytes, *, own_addresses: set[str] | frozenset[str] = frozenset()
) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; ``own_addresses`` are ours (mail from them is a loop)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    name, address = parseaddr(header(message, "From"))
    parsed = ParsedMessage(
        message_id=_first_id(header(message, "Message-ID")),
        subject=header(message, "Subject"),
        from_name=name,
        from_address=address.strip().lower(),
        to=[a.lower() for _, a in getaddresses([header(message, "To")]) if a],
        in_reply_to=MESSAGE_ID.findall(header(message, "In-Reply-To")),
        references=MESSAGE_ID.findall(header(message, "References")),
    )
    text_part, html_part = _body_parts(message)
    if html_part is not None:
        parsed.html = decode_text(html_part)
    if text_part is not None:
        parsed.text = normalise_text(decode_text(text_part))
    elif parsed.html:
        parsed.text = html_to_text(parsed.html)
    parsed.attachments = list(_attachments(message, skip={id(text_part), id(html_part)}))
    parsed.auto_reason = automatic_reason(message, parsed, own_addresses)
    return parsed


def _first_id(value: str) -> str:
    found = MESSAGE_ID.findall(value)
    return found[0] if found else value.strip()


def automatic_reason(
    message: Message, parsed: ParsedMessage, own: set[str] | frozenset[str]
) -> str:
    """Why the message was sent by a machine, or "" if a person sent it."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header(message, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in AUTOREPLY_HEADERS:
        if header(message, name):
            return f"{name} header"
    if header(message, "X-Servicedesk-Event"):
        return "one of our own notifications"
    if message.get_content_type() == "multipart/report":
        return "delivery or read report"
    local_part = parsed.from_address.partition("@")[0]
    if local_part in ROBOT_SENDERS:
        return f"sent by {parsed.from_address}"
    if header(message, "Return-Path") == "<>":
        return "bounce (empty Return-Path)"
    if parsed.from_address and parsed.from_address in {a.lower() for a in own}:
        return "sent from our own address"
    if AUTOREPLY_SUBJECT.match(parsed.subject):
        return "auto-reply subject"
    return ""


def _body_parts(message: Message) -> tuple[Message | None, Message | None]:
    """The text/plain and text/html parts that make the body (not attachments)."""
    if not isinstance(message, EmailMessage):
        return None, None
    try:
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
    except Exception:
        return None, None
    # get_body may pick an inline part that has a file name: that is an attachment.
    if text is not None and text.get_filename():
        text = None
    if html is not None and html.get_filename():
        html = None
    return text, html


def _attachments(message: Message, skip: set[int]):
    """Every file in the message, depth first; a forwarded message is one ``.eml`` file."""
    stack = [message]
    while stack:
        part = stack.pop(0)
        content_type = part.get_content_type()
        if id(part) in skip:
            continue
        if content_type == "message/rfc822" and part is not message:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            content = inner.as_bytes() if isinstance(inner, Message) else b""
            subject = header(inner, "Subject") if isinstance(inner, Message) else ""
            yield ParsedAttachment(
                filename=_safe_name(part.get_filename() or f"{subject or 'forwarded'}.eml", ".eml"),
                content_type="message/rfc822",
                content=content,
            )
            continue
        if part.is_multipart():
            payload = part.get_payload()
            stack[0:0] = payload if isinstance(payload, list) else []
            continue
        if part is message:
            continue  # a single-part message: its content is the body
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if not filename and disposition != "attachment":
            continue  # an alternative body or an inline text part without a name
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:
            continue
        yield ParsedAttachment(
            filename=_safe_name(filename or "attachment", ""),
            content_type=content_type,
            content=content,
        )


def _safe_name(name: str, extension: str) -> str:
    name = " ".join(str(name).split()).replace("/", "_").replace("\\", "_")[:180]
    if extension and not name.lower().endswith(extension):
        name += extension
    return name or "attachment"


def decode_text(part: Message) -> str:
    """A text part's content as str, whatever its charset label says."""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    charset = (part.get_content_charset() or "us-ascii").lower()
    if charset in WINDOWS_1252_ALIASES:
        charset = "windows-1252"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("windows-1252", errors="replace")


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _HTMLText(HTMLParser):
    """HTML to readable plain text: blocks become lines, lists get dashes, scripts vanish."""

    BLOCKS = {
        "p",
        "div",
        "tr",
        "table",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
    HIDDEN = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    converter = _HTMLText()
    try:
        converter.feed(html)
        converter.close()
    except Exception:  # hopeless markup: drop the tags bluntly
        return normalise_text(unescape(re.sub(r"<[^>]+>", " ", html)))
    lines = [line.strip() for line in "".join(converter.parts).split("\n")]
    return normalise_text("\n".join(lines))


def strip_quoted(text: str) -> str:
    """Cut the quoted original from a reply: at our marker or a client's quote header."""
    cut = len(text)
    for pattern in REPLY_CUTS:
        found = pattern.search(text)
        if found and found.start() < cut:
            cut = found.start()
    own = text[:cut]
    # Trailing "> quoted" lines left by clients that quote below without a header.
    lines = own.rstrip().split("\n")
    while lines and lines[-1].startswith(">"):
        lines.pop()
    return normalise_text("\n".join(lines))
