"""The load test's traffic: agents, integrations and portal users (run by ``loadtest.py``).

Agents sign in and browse the incident list (plain, filtered, a later page), open
incidents, the dashboard and the search; integrations log incidents through the API with
a token and read the list and the new incident back; end users sign in to the portal and
look at their tickets. The seeded people all sign in with ``BENCH_PASSWORD``.
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, constant, task

PASSWORD = os.environ.get("BENCH_PASSWORD", "bench")
TOKEN = os.environ.get("BENCH_TOKEN", "")
AGENTS = int(os.environ.get("BENCH_AGENTS", "40"))
END_USERS = int(os.environ.get("BENCH_END_USERS", "200"))
TEAM = os.environ.get("BENCH_TEAM", "")

INCIDENT_LINK = re.compile(r'href="/incidents/(\d+)/"')
PORTAL_LINK = re.compile(r'href="/portal/issues/(\d+)/"')


class SignedIn(HttpUser):
    """Signs in through the sign-in page once, as a browser does."""

    abstract = True
    username = ""

    def on_start(self) -> None:
        self.client.get("/accounts/login/", name="sign in (form)")
        response = self.client.post(
            "/accounts/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="sign in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in: {response.status_code}")


class Agent(SignedIn):
    weight = 4
    wait_time = between(1, 3)

    def on_start(self) -> None:
        # Seeded agents are agent1…agentN, each in one team.
        self.username = f"agent{random.randint(1, AGENTS)}"
        super().on_start()
        self.incidents: list[str] = []

    @task(4)
    def incident_list(self) -> None:
        response = self.client.get("/incidents/", name="/incidents/")
        self.incidents = INCIDENT_LINK.findall(response.text) or self.incidents

    @task(2)
    def filtered_list(self) -> None:
        status = random.choice(["new", "in_progress", "on_hold", "resolved"])
        self.client.get(
            f"/incidents/?status={status}&ordering=-priority", name="/incidents/?status&ordering"
        )

    @task(1)
    def later_page(self) -> None:
        self.client.get(f"/incidents/?page={random.randint(2, 40)}", name="/incidents/?page=N")

    @task(4)
    def incident_page(self) -> None:
        if self.incidents:
            pk = random.choice(self.incidents)
            self.client.get(f"/incidents/{pk}/", name="/incidents/<id>/")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="/dashboard/")

    @task(1)
    def search(self) -> None:
        word = random.choice(["printer", "vpn", "laptop", "password", "backup"])
        self.client.get(f"/search/?q={word}", name="/search/?q")


class Integration(HttpUser):
    """A monitoring system: logs incidents and reads them back, with its token."""

    weight = 2
    wait_time = constant(1)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Token {TOKEN}"

    @task(3)
    def log_incident(self) -> None:
        body = {
            "title": f"Monitoring: disk full on db-{random.randint(1, 500)}",
            "description": "Free space below 5 % on /var.",
            "impact": random.randint(1, 3),
            "urgency": random.randint(1, 3),
        }
        if TEAM:
            body["assignment_group"] = int(TEAM)
        response = self.client.post(
            "/api/v1/incidents/",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            name="POST /api/v1/incidents/",
        )
        if response.status_code == 201:
            self.client.get(
                f"/api/v1/incidents/{response.json()['id']}/", name="/api/v1/incidents/<id>/"
            )

    @task(2)
    def list_incidents(self) -> None:
        self.client.get("/api/v1/incidents/?status=new", name="/api/v1/incidents/?status")

    @task(1)
    def walk_with_the_cursor(self) -> None:
        url = "/api/v1/incidents/?cursor=&page_size=100"
        for _ in range(3):
            response = self.client.get(url, name="/api/v1/incidents/?cursor")
            url = response.json().get("next") if response.ok else None
            if not url:
                break


class PortalUser(SignedIn):
    weight = 3
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.username = f"user{random.randint(2, END_USERS)}"
        super().on_start()
        self.tickets: list[str] = []

    @task(3)
    def my_tickets(self) -> None:
        response = self.client.get("/portal/tickets/", name="/portal/tickets/")
        self.tickets = PORTAL_LINK.findall(response.text) or self.tickets

    @task(2)
    def ticket_page(self) -> None:
        if self.tickets:
            pk = random.choice(self.tickets)
            self.client.get(f"/portal/issues/{pk}/", name="/portal/issues/<id>/")

    @task(1)
    def home(self) -> None:
        self.client.get("/portal/", name="/portal/")
