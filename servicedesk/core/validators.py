"""Field validators shared by the core models, forms and serializers."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    """Accept only IANA time zone names such as ``Europe/Paris``."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


@cache
def holiday_countries() -> dict[str, list[str]]:
    """Country codes the ``holidays`` package knows, each with its subdivision codes."""
    import holidays  # its data loads on first use, not at every start

    return holidays.list_supported_countries()


def validate_holiday_country(value: str) -> None:
    """Accept only the countries the ``holidays`` package knows, by ISO 3166 code."""
    if value and value not in holiday_countries():
        raise ValidationError(
            _("%(value)s is not a country whose holidays are known."), params={"value": value}
        )
