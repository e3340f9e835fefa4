"""Template helpers for the public pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import template
from django.utils.safestring import SafeString, mark_safe

from cases.models import DatePrecision, RulingKind, RulingOutcome, RulingScope, record_url
from cases.rendering import conditional_escape

if TYPE_CHECKING:
    from cases.tables import RulingRow

register = template.Library()

_KIND = dict(RulingKind.choices)
_OUTCOME = dict(RulingOutcome.choices)
_SCOPE = dict(RulingScope.choices)


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


@register.simple_tag
def ruling_rows(rulings: Iterable[RulingRow]) -> SafeString:
    """The <tr> of each ruling in a rulings table (includes/ruling_table.html).

    Built in Python, as the admin builds its changelist rows, every value escaped: a list page
    shows 50 rulings, and a template loop over their seven cells took a third of the time the
    page took to build. The rows come from `tables.ruling_table_rows`.
    """
    return mark_safe("".join(_ruling_row(row) for row in rulings))


def _ruling_row(ruling: RulingRow) -> str:
    e = conditional_escape
    url = e(ruling.get_absolute_url())
    court_url = e(record_url("cases:court-detail", "pk", ruling.court_id))
    cases = "; ".join(f'<a href="{e(c.url)}">{e(c.label)}</a>' for c in ruling.case_links)
    policies = "<br>".join(
        f'{e(p.note)}: <a href="{e(p.url)}">{e(p.label)}</a>' for p in ruling.policy_links
    )
    citation = f"<br><small>{e(ruling.citation)}</small>" if ruling.citation else ""
    kind = _KIND.get(ruling.kind, ruling.kind)
    outcome = _OUTCOME.get(ruling.outcome, ruling.outcome)
    return (
        "\n    <tr>"
        f'\n      <td><a href="{url}"><time datetime="{ruling.decided_on.isoformat()}">'
        f"{e(as_known(ruling.decided_on))}</time></a></td>"
        f'\n      <td><a href="{court_url}">{e(ruling.court_label)}</a></td>'
        f"\n      <td>{cases}</td>"
        f'\n      <td><a href="{url}">{e(kind)}</a>{citation}</td>'
        f'\n      <td><span class="outcome outcome-{e(ruling.outcome)}">{e(outcome)}</span></td>'
        f"\n      <td>{e(_SCOPE.get(ruling.scope, ruling.scope))}</td>"
        f"\n      <td>{policies}</td>"
        "\n    </tr>"
    )
