"""`{% load citations %}` then `{{ ruling.summary|linked_citations }}`: reporter citations linked
to CourtListener, everything else escaped (see cases.citations)."""

from django import template

from cases.citations import linked_citations as _linked_citations

register = template.Library()


@register.filter(is_safe=False)
def linked_citations(value):
    return _linked_citations(value)
