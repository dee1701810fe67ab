"""Idempotency-Key on POST creates: retries replay the first answer, never a duplicate."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Incident
from servicedesk.core.idempotency import purge_expired
from servicedesk.core.models import IdempotencyRecord

URL = "/api/v1/incidents/"
BODY = {"title": "VPN drops", "impact": 2, "urgency": 1}


def test_a_retry_with_the_same_key_replays_the_first_answer(api_as, end_user):
    client = api_as(end_user)
    first = client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert Incident.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_creates_nothing(api_as, end_user):
    client = api_as(end_user)
    client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="abc-123")
    response = client.post(URL, {**BODY, "title": "Other"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Incident.objects.count() == 1


def test_keys_belong_to_their_user(api_as, end_user, other_end_user):
    api_as(end_user).post(URL, BODY, HTTP_IDEMPOTENCY_KEY="shared")
    response = api_as(other_end_user).post(URL, BODY, HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert Incident.objects.count() == 2


def test_without_a_key_every_post_creates(api_as, end_user):
    client = api_as(end_user)
    client.post(URL, BODY)
    client.post(URL, BODY)
    assert Incident.objects.count() == 2


def test_a_failed_create_is_not_remembered(api_as, end_user):
    client = api_as(end_user)
    assert client.post(URL, {"impact": 2}, HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "clé"])
def test_a_malformed_key_is_400(api_as, end_user, key):
    response = api_as(end_user).post(URL, BODY, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Incident.objects.exists()


def test_an_expired_key_creates_again_and_expired_records_are_purged(api_as, end_user):
    client = api_as(end_user)
    client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    assert Incident.objects.count() == 2
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_retries_create_one_ticket():
    from tests.factories import make_end_user

    user = make_end_user()
    token = Token.objects.create(user=user).key
    barrier, answers = threading.Barrier(4), []

    def post() -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            barrier.wait()
            answers.append(client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201, 201, 201, 201]
    assert len({a.json()["number"] for a in answers}) == 1
    assert Incident.objects.count() == 1
