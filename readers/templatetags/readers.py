"""Template helpers for the links to readers' pages and the admin index's queue count."""

from __future__ import annotations

from django import template
from django.http import QueryDict

from cases.templatetags.tracker import fixed_address
from readers.filters import canonical_query
from readers.models import Correction, CorrectionState

register = template.Library()


@register.simple_tag
def alerts_url(params: QueryDict | str = "", name: str = "", value: str = "") -> str:
    """The subscribe page for the rulings list's filters in `params` (a list page's query
    string: its page, format and sort left out), or for one filter `name=value` (a lawsuit,
    policy or court page)."""
    # A template passes "" for a `params` it does not have.
    query = params.copy() if isinstance(params, QueryDict) else QueryDict(mutable=True)
    if name:
        query.setlist(name, [str(value)])
    canonical = canonical_query(query)
    return fixed_address("readers:subscribe") + (f"?{canonical}" if canonical else "")


@register.simple_tag(takes_context=True)
def new_corrections(context) -> int | None:
    """How many suggested corrections are new, for a user who may see them (else None)."""
    user = context["request"].user
    if not user.has_perm("readers.view_correction"):
        return None
    return Correction.objects.filter(state=CorrectionState.NEW).count()
