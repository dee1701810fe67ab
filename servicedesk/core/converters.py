"""URL converters: ids that fit the database's 64-bit integer columns, so a huge one is a 404."""

from django.urls.converters import IntConverter


class IdConverter(IntConverter):
    """A positive id of at most 18 digits (anything longer cannot exist: 404, not an overflow)."""

    regex = "[0-9]{1,18}"


# The same bound for DRF routers' lookup_value_regex.
ID_REGEX = IdConverter.regex
