"""User text never turns into markup that runs, wherever the site shows it.

A set of XSS payloads goes into every field people write (titles, descriptions, comments,
resolution notes, problems' root causes and workarounds, change plans, knowledge articles,
canned replies, saved filter names)
and through every Markdown helper; the HTML that comes out is parsed and searched for
anything a browser would run: script elements, event handler attributes, ``javascript:``
or ``data:`` URLs, embedding elements and script in styles.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.utils.timezone import now

from changes.models import Change
from incidents.models import Incident
from incidents.templatetags.incident_ui import render_markdown
from knowledge.choices import ArticleStatus, Audience
from knowledge.models import Article
from notifications.rendering import markdown_html
from problems.models import Problem
from servicedesk.core import services
from servicedesk.core.models import CannedReply
from servicedesk.core.search import highlight
from servicedesk.portal.templatetags.portal_tags import markdown_safe
from tests.factories import (
    TeamFactory,
    make_agent,
    make_change,
    make_end_user,
    make_incident,
    make_problem,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    "<embed src=x>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width:expression(alert(1))">x</p>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](javascript&#58;alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    '[click](https://example.com "x" onclick=alert(1))',
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![img](x" onerror="alert(1))',
    '<https://example.com/" onmouseover="alert(1)>',
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcset"}
SAFE_SCHEMES = {"http", "https", "mailto"}
# Elements that embed or run something, none of which the site's own pages use.
EMBEDDING = {"iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base"}
_CONTROL = re.compile(r"[\x00-\x20]+")


class ExecutableMarkup(HTMLParser):
    """Collects what a browser would run in a document or fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag in EMBEDDING:
            self.found.append(f"<{tag}>")
        if tag == "script":
            # The site's scripts are its own static files, or JSON data (json_script).
            if values.get("src"):
                if not values["src"].startswith("/static/"):
                    self.found.append(f"<script src={values['src']!r}>")
            elif values.get("type") != "application/json":
                self._script = []
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES:
                url = _CONTROL.sub("", value).lower()
                scheme = url.split(":", 1)[0] if ":" in url.split("/", 1)[0] else ""
                if scheme and scheme not in SAFE_SCHEMES:
                    self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(r"expression|javascript|url\(", value, re.I):
                self.found.append(f"<{tag} style={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.found.append(f"<script>{''.join(self._script)[:40]}</script>")
            self._script = None
        if tag == "style":
            pass


def executable_markup(html: str) -> list[str]:
    parser = ExecutableMarkup()
    parser.feed(str(html))
    parser.close()
    return parser.found


def test_the_checker_finds_what_runs():
    # Each kind of finding, so that a test passing below means something.
    assert executable_markup("<p>Hi <a href='https://example.com'>there</a></p>") == []
    assert executable_markup("<script>alert(1)</script>") == ["<script>alert(1)</script>"]
    assert executable_markup("<img src=x onerror=alert(1)>") == ["<img onerror=…>"]
    assert executable_markup("<a href=' JaVa\tscript:alert(1)'>x</a>") != []
    assert executable_markup("<a href='data:text/html,x'>x</a>") != []
    assert executable_markup("<svg></svg>") == ["<svg>"]
    assert executable_markup("<p style='width:expression(alert(1))'>") != []
    assert executable_markup("<script src='https://evil.example/x.js'></script>") != []
    assert executable_markup('<script src="/static/app.js"></script>') == []


# --- the helpers -------------------------------------------------------------------------

HELPERS = {
    "agent Markdown": render_markdown,
    "portal Markdown": markdown_safe,
    "email Markdown": markdown_html,
    "search highlight": lambda text: highlight(None, text, "alert"),
}


@pytest.mark.parametrize("helper", HELPERS.values(), ids=HELPERS.keys())
@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_helper_lets_a_payload_run(helper, payload):
    html = str(helper(payload))

    assert executable_markup(html) == []
    assert "<script" not in html.lower()


def test_markdown_keeps_safe_links_and_formatting():
    html = str(render_markdown("**bold** [site](https://example.com) `x`"))

    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert "<code>x</code>" in html


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def written(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """A little of everything people write, each holding the payload; returns a builder."""
    settings.MEDIA_ROOT = tmp_path

    def write(payload: str) -> dict:
        support = TeamFactory(name="Support")
        agent = make_agent(support, lead=True, username="lead", email="lead@example.com")
        requester = make_end_user(username="eve", email="eve@example.com")
        incident = make_incident(
            requester=requester,
            assignment_group=support,
            assignee=agent,
            title=payload[:200],
            description=payload,
        )
        problem = make_problem(title=payload[:200], description=payload)
        Problem.objects.filter(pk=problem.pk).update(
            root_cause=payload, workaround=payload, is_known_error=True, known_error_since=now()
        )
        # The incident page shows its problem's workaround too.
        Incident.objects.filter(pk=incident.pk).update(
            resolution_notes=payload, related_problem=problem
        )
        # Committed, so that the notifications (in-app and email) go out.
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_add(ticket=incident, by=agent, body=payload)
            services.comment_add(ticket=incident, by=requester, body=payload)
        change = make_change(title=payload[:200], description=payload)
        Change.objects.filter(pk=change.pk).update(
            implementation_plan=payload, backout_plan=payload, test_plan=payload
        )
        CannedReply.objects.create(team=support, title=payload[:120], body=payload)
        services.saved_filter_save(user=agent, list_name="incidents", name=payload[:80], query="")
        article = Article.objects.create(
            title=payload[:200],
            body=payload,
            status=ArticleStatus.PUBLISHED,
            audience=Audience.PUBLIC,
            author=agent,
        )
        return {
            "agent": agent,
            "requester": requester,
            "pages": {
                agent: [
                    f"/incidents/{incident.pk}/",
                    "/incidents/",
                    f"/changes/{change.pk}/",
                    f"/problems/{problem.pk}/",
                    "/problems/known-errors/",
                    f"/knowledge/{article.pk}/",
                    "/notifications/",
                    "/notifications/bell/",
                ],
                requester: [
                    f"/portal/issues/{incident.pk}/",
                    "/portal/tickets/",
                    f"/portal/answers/{article.pk}/",
                ],
            },
        }

    return write


# The pages get the payloads a few at a time (each its own Markdown paragraph): every page
# load is slow enough that fifty rounds of them would dominate the suite.
PAYLOAD_GROUPS = ["\n\n".join(PAYLOADS[i : i + 10]) for i in range(0, len(PAYLOADS), 10)]


@pytest.mark.parametrize("payload", PAYLOAD_GROUPS + PAYLOADS[:3])
def test_no_page_lets_a_payload_run(client, written, payload):
    world = written(payload)

    found = {}
    for user, paths in world["pages"].items():
        client.force_login(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            found[path] = executable_markup(response.content.decode())

    assert {path: markup for path, markup in found.items() if markup} == {}
    # The text itself is shown (escaped or sanitised), so the pages did render it.
    client.force_login(world["agent"])
    assert "alert(1)" in client.get(world["pages"][world["agent"]][0]).content.decode()


@pytest.mark.parametrize("payload", PAYLOAD_GROUPS)
def test_no_notification_email_lets_a_payload_run(written, payload):
    written(payload)

    htmls = [
        body
        for message in mail.outbox
        for body, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]

    assert htmls, "the comments sent no HTML email"
    assert [executable_markup(html) for html in htmls if executable_markup(html)] == []
