"""Ids no database integer can hold, posted in any form of the site, are bad input: never a 500.

The forms are found by walking the agent UI and the portal as each kind of user: every
form with a choice of rows (a select, a checkbox or a hidden input holding an id) is sent
back with huge ids in those fields, so a form added later is covered without a change here.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from servicedesk.core.demo import load_demo_data
from servicedesk.core.models import User

HUGE_IDS = ["9" * 30, "1e30", "-" + "9" * 30]
# Where the walk does not go: files, the API and Django's admin have tests of their own.
SKIPPED_PREFIXES = ("/static/", "/media/", "/api/", "/admin/", "/logout", "/accounts/logout")
PAGES_PER_SHAPE = 2  # /incidents/3/ and /incidents/7/ are the same page with other data
MAX_PAGES = 400


@dataclass
class Form:
    """A form as the browser would send it: its target, method and fields' current values."""

    page: str
    action: str
    method: str
    values: list[tuple[str, str]] = field(default_factory=list)
    # The fields that carry a row's id: selects, and checkboxes or hidden inputs holding one.
    id_fields: set[str] = field(default_factory=set)


class PageParser(HTMLParser):
    """The links and forms of a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        for attribute in ("hx-get",):
            if a.get(attribute):
                self.links.append(urljoin(self.page, a[attribute]))
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(self.page, action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        form = self._form
        if form is None or "name" not in a or "disabled" in a:
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            value = a.get("value", "")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                if kind == "checkbox" and value.isdigit():
                    form.id_fields.add(name)
                return
            if kind in ("checkbox", "hidden") and value.isdigit() and name != "version":
                form.id_fields.add(name)
            form.values.append((name, value))
        elif tag == "select":
            self._select = (name, "multiple" in a)
            self._options = []
            form.id_fields.add(name)
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple = self._select
            chosen = [v for v, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            self._form.values += [(name, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.values.append((self._textarea, "".join(self._text)))
            self._textarea = None


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def walk(client: Client, start: list[str]) -> tuple[list[Form], list[str]]:
    """Every form on the pages reachable from ``start``, and the pages that failed."""
    queue, seen, shapes = deque(start), set(), Counter()
    forms, failures = [], []
    while queue and len(seen) < MAX_PAGES:
        url = urlsplit(queue.popleft())
        if url.netloc and url.netloc != "testserver":
            continue
        path = url.path
        if path in seen or path.startswith(SKIPPED_PREFIXES):
            continue
        seen.add(path)
        if shapes[shape(path)] >= PAGES_PER_SHAPE:
            continue
        shapes[shape(path)] += 1
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"GET {path}: {response.status_code}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = PageParser(path)
        parser.feed(response.content.decode())
        queue.extend(parser.links)
        forms += [f for f in parser.forms if f.id_fields]
    return forms, failures


def with_huge_ids(form: Form, huge: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in form.values:
        data.setdefault(name, []).append(value)
    for name in form.id_fields:
        data[name] = [huge]
    return data


def send(client: Client, form: Form, huge: str) -> str | None:
    """Send the form with huge ids; what went wrong, or None."""
    data = with_huge_ids(form, huge)
    where = f"{form.method.upper()} {urlsplit(form.action).path} (on {form.page}) {huge[:6]}…"
    try:
        if form.method == "post":
            response = client.post(urlsplit(form.action).path, data)
        else:
            response = client.get(urlsplit(form.action).path, data)
    except Exception as exc:  # the report names what the server raised
        return f"{where}: {type(exc).__name__}: {exc}"
    if response.status_code >= 500:
        return f"{where}: {response.status_code}"
    # A list or a report shows its filter form again: with no rows, or with its errors.
    if form.method == "get" and response.status_code not in (200, 400):
        return f"{where}: {response.status_code}, not the page"
    return None


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_demo_data()


@pytest.mark.parametrize(
    ("username", "start"),
    [
        ("admin", ["/", "/incidents/", "/changes/", "/requests/", "/knowledge/"]),
        ("lena", ["/", "/incidents/", "/problems/", "/changes/", "/requests/"]),
        ("eve", ["/portal/"]),
    ],
)
def test_huge_ids_in_any_form_are_refused_without_a_server_error(demo, username, start):
    client = Client()
    client.force_login(User.objects.get(username=username))

    forms, failures = walk(client, start)
    for form in forms:
        for huge in HUGE_IDS:
            failures.append(send(client, form, huge))

    assert len(forms) >= (2 if username == "eve" else 8)
    problems = [f for f in failures if f]
    assert problems == [], "\n".join(problems)


# The filters on ids of the lists and the calendar, by every name they go by.
ID_FILTERS = [
    "assignee",
    "assignment_group",
    "requester",
    "service",
    "affected_service",
    "configuration_item",
    "category",
    "catalog_item",
    "team",
    "problem",
    "request",
]


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/",
        "/problems/",
        "/changes/",
        "/changes/calendar/",
        "/requests/",
        "/requests/tasks/",
        "/portal/tickets/",
        "/portal/catalog/",
    ],
)
@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_list_filtered_on_a_huge_id_is_a_page(admin_client, path, huge):
    response = admin_client.get(path, dict.fromkeys(ID_FILTERS, huge))

    assert response.status_code == 200
