"""Template helpers for the public pages."""

import datetime

from django import template

from cases.models import DatePrecision

register = template.Library()


@register.filter
def as_known(value: datetime.date | None, precision: str = DatePrecision.DAY) -> str:
    """A date shown only as exactly as it is known: '20 Nov 2017', 'Aug 2017' or '2017'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{value:%b %Y}"
    return f"{value.day} {value:%b %Y}"
