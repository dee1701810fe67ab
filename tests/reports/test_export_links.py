"""The "Export CSV" link of every ticket list: its filters, its practice, the same rows."""

from django.http import QueryDict
from django.template.loader import render_to_string

from servicedesk.core.templatetags.desk import export_url


def test_the_export_url_keeps_the_filters_and_drops_the_page_and_empty_fields():
    query = QueryDict("status=new&status=in_progress&page=3&assignee=&search=a%26b&practice=x")

    assert export_url("incident", query) == (
        "/export/tickets.csv?status=new&status=in_progress&search=a%26b&practice=incident"
    )


def test_the_export_url_takes_a_query_string_too():
    assert export_url("change", "page=2") == "/export/tickets.csv?practice=change"
    assert export_url("", "") == "/export/tickets.csv"


def test_the_component_links_to_the_export_with_the_filters_escaped():
    html = render_to_string(
        "components/export_link.html",
        {"practice": "request", "query": QueryDict("priority=1&priority=2&page=4")},
    )

    assert (
        'href="/export/tickets.csv?priority=1&amp;priority=2&amp;practice=request" download>'
        in html
    )
    assert "Export CSV" in html
