"""Knowledge articles: agents write them; public published ones reach the portal."""

import pytest
from django.urls import reverse

from knowledge import selectors, services
from knowledge.models import Article, ArticleVote
from servicedesk.core.errors import NotPermitted
from tests.factories import ServiceFactory


def article(agent, title, *, status="published", audience="public", body="Restart it."):
    return services.article_create(
        by=agent, data={"title": title, "body": body, "status": status, "audience": audience}
    )


def test_an_agent_writes_and_publishes_an_article_in_the_agent_ui(client, agent):
    service = ServiceFactory(name="Email")
    client.force_login(agent)

    response = client.post(
        reverse("knowledge:new"),
        {
            "title": "Outlook asks for a password",
            "body": "Sign out and **in** again.",
            "status": "draft",
            "audience": "public",
            "services": [service.pk],
        },
    )

    created = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:edit", args=[created.pk])
    assert (created.status, created.author, list(created.services.all())) == (
        "draft",
        agent,
        [service],
    )
    assert created.published_at is None
    client.post(
        reverse("knowledge:edit", args=[created.pk]),
        {"title": created.title, "body": created.body, "status": "published", "audience": "public"},
    )
    created.refresh_from_db()
    assert created.status == "published"
    assert created.published_at is not None
    listing = client.get(reverse("knowledge:list"), {"q": "outlook"}).content.decode()
    assert "Outlook asks for a password" in listing


def test_end_users_cannot_reach_the_agent_pages_or_write(client, end_user, agent):
    draft = article(agent, "Draft", status="draft")
    client.force_login(end_user)

    assert client.get(reverse("knowledge:list")).status_code == 403
    assert client.get(reverse("knowledge:new")).status_code == 403
    assert client.get(reverse("knowledge:edit", args=[draft.pk])).status_code == 403
    with pytest.raises(NotPermitted):
        services.article_create(by=end_user, data={"title": "x", "body": "y"})


def test_the_portal_finds_public_published_articles_only(client, end_user, agent):
    public = article(agent, "VPN: reconnect after sleep")
    article(agent, "VPN: internal runbook", audience="internal")
    draft = article(agent, "VPN: draft tips", status="draft")
    client.force_login(end_user)

    content = client.get(reverse("portal:answers"), {"q": "vpn"}).content.decode()

    assert "VPN: reconnect after sleep" in content
    assert "internal runbook" not in content
    assert "draft tips" not in content
    assert client.get(reverse("portal:article", args=[public.pk])).status_code == 200
    assert client.get(reverse("portal:article", args=[draft.pk])).status_code == 404
    assert [a.pk for a in selectors.articles(agent, text="vpn")] != []


def test_the_report_form_suggests_public_answers(client, end_user, agent):
    article(agent, "Printer jams: clear the tray", body="Open tray 2.")
    article(agent, "Printer secrets", audience="internal")
    client.force_login(end_user)

    content = client.get(reverse("portal:suggestions"), {"title": "printer"}).content.decode()

    assert "Printer jams: clear the tray" in content
    assert "Printer secrets" not in content


def test_one_vote_per_user_and_the_latest_counts(client, end_user, agent):
    answer = article(agent, "Reset your password")
    client.force_login(end_user)
    url = reverse("portal:article-vote", args=[answer.pk])

    client.post(url, {"helpful": "no"})
    client.post(url, {"helpful": "yes"})

    assert list(ArticleVote.objects.values_list("user", "helpful")) == [(end_user.pk, True)]
    counted = selectors.articles(agent).get(pk=answer.pk)
    assert (counted.helpful_count, counted.unhelpful_count) == (1, 0)


def test_markdown_in_articles_is_sanitised(client, end_user, agent):
    answer = article(agent, "Tricky", body="<script>alert(1)</script> *fine*")
    client.force_login(end_user)

    content = client.get(reverse("portal:article", args=[answer.pk])).content.decode()

    assert "<script>alert(1)" not in content
    assert "<em>fine</em>" in content


def test_an_end_user_cannot_vote_on_an_internal_article(client, end_user, agent):
    internal = article(agent, "Runbook", audience="internal")
    client.force_login(end_user)

    response = client.post(reverse("portal:article-vote", args=[internal.pk]), {"helpful": "yes"})

    assert response.status_code == 404
    assert ArticleVote.objects.count() == 0
