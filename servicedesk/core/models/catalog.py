"""Services and configuration items that tickets and changes reference."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..choices import CIRelationshipKind, CIStatus, CIType, Criticality


class Service(models.Model):
    """A business or technical service that the organisation runs."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner_team = models.ForeignKey(
        "core.Team",
        verbose_name=_("owner team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_services",
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    """A configuration item (CI): a server, application, database… that services run on."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    ci_type = models.CharField(_("type"), max_length=20, choices=CIType.choices)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=CIStatus.choices, default=CIStatus.ACTIVE
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    owner_team = models.ForeignKey(
        "core.Team",
        verbose_name=_("owner team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_configuration_items",
    )
    services = models.ManyToManyField(
        Service, related_name="configuration_items", blank=True, verbose_name=_("services")
    )
    related = models.ManyToManyField(
        "self",
        through="CIRelationship",
        symmetrical=False,
        related_name="+",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")

    def __str__(self) -> str:
        return self.name


class CIRelationship(models.Model):
    """A directed relationship between two CIs, e.g. an application *runs on* a server."""

    source = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing_relationships"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CIRelationshipKind.choices)
    target = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="incoming_relationships"
    )

    class Meta:
        ordering = ["source__name", "kind", "target__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "target"], name="cirelationship_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="cirelationship_not_self"
            ),
        ]
        verbose_name = _("CI relationship")
        verbose_name_plural = _("CI relationships")

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"
