from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Audience(models.TextChoices):
    INTERNAL = "internal", _("Agents only")
    PUBLIC = "public", _("Everyone (portal)")
