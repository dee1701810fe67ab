"""Catalog items and requests made through the services, as admins and people would."""

from __future__ import annotations

from typing import Any

from service_requests import services
from service_requests.choices import ApproverKind, FieldType
from service_requests.models import CatalogCategory, CatalogItem, FulfilmentTask, ServiceRequest
from servicedesk.core.models import Team, User

LAPTOP_FORM = [
    {
        "name": "laptop_model",
        "label": "Model",
        "field_type": FieldType.CHOICE,
        "choices": [{"value": "14", "label": "14-inch"}, {"value": "16", "label": "16-inch"}],
    },
    {"name": "reason", "label": "Why", "field_type": FieldType.LONG_TEXT, "required": False},
]


def make_category(name: str = "Hardware") -> CatalogCategory:
    return CatalogCategory.objects.get_or_create(name=name)[0]


def make_item(
    *,
    owner_team: Team,
    name: str = "New laptop",
    form: list[dict[str, Any]] | None = None,
    approvals: list[Team | str] = (),
    tasks: list[tuple[str, Team]] = (),
    **fields: Any,
) -> CatalogItem:
    """An item; ``approvals`` lists "manager" or a team per step, ``tasks`` (title, team)."""
    steps = [
        {"approver": ApproverKind.MANAGER}
        if step == "manager"
        else {"approver": ApproverKind.TEAM, "team": step}
        for step in approvals
    ]
    return services.catalog_item_create(
        data={
            "name": name,
            "category": fields.pop("category", None) or make_category(),
            "owner_team": owner_team,
            **fields,
        },
        form=LAPTOP_FORM if form is None else form,
        approval_steps=steps,
        task_templates=[{"title": title, "team": team} for title, team in tasks],
    )


def order(
    item: CatalogItem, by: User, answers: dict[str, Any] | None = None, **kwargs: Any
) -> ServiceRequest:
    return services.request_create(
        by=by,
        catalog_item=item,
        answers={"laptop_model": "14"} if answers is None else answers,
        **kwargs,
    )


def tasks_of(service_request: ServiceRequest) -> list[FulfilmentTask]:
    return list(FulfilmentTask.objects.filter(request=service_request).order_by("order", "id"))


def fresh(service_request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=service_request.pk)
