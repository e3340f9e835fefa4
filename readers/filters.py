"""A subscription's filters: the rulings list's query string, validated by its FilterSet.

The same `cases.filters.RulingFilter` that serves /rulings/ checks the filters when someone
subscribes and again before each send, so an alert holds exactly the rulings the list page
shows for the same query string.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict

from cases.filters import RulingFilter
from cases.models import Ruling

# Parameters of the list page that choose no rulings: left out of a stored query.
NOT_FILTERS = {"page", "format", "sort"}
MAX_VALUE_LENGTH = 500
MAX_QUERY_LENGTH = 2000


class InvalidFilters(ValueError):
    """The filters cannot be used; the message says why, in plain words."""


def filter_names() -> list[str]:
    return [name for name in RulingFilter.base_filters if name not in NOT_FILTERS]


def canonical_query(params: QueryDict) -> str:
    """The filters in `params` as a query string in one canonical order: known filter names,
    sorted, with their non-empty values sorted, so equal filters give equal strings."""
    pairs = []
    for name in sorted(filter_names()):
        for value in sorted(set(params.getlist(name))):
            if value != "":
                pairs.append((name, value))
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    return query.urlencode()


def ruling_filter(query: str, queryset: QuerySet[Ruling] | None = None) -> RulingFilter:
    """The rulings list's FilterSet for a stored query, validated; raises InvalidFilters."""
    params = QueryDict(query)
    for key, values in params.lists():
        for value in [key, *values]:
            if "\x00" in value:
                raise InvalidFilters("Filters may not contain NUL characters.")
            if len(value) > MAX_VALUE_LENGTH:
                raise InvalidFilters(f"Filter values are limited to {MAX_VALUE_LENGTH} characters.")
    if queryset is None:
        queryset = Ruling.objects.published()
    filterset = RulingFilter(params, queryset=queryset)
    if not filterset.is_valid():
        raise InvalidFilters(filterset.errors_text)
    return filterset


def validated_query(params: QueryDict) -> str:
    """The canonical query string of `params`' filters, if RulingFilter accepts them."""
    query = canonical_query(params)
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidFilters(f"Too many filters (at most {MAX_QUERY_LENGTH} characters).")
    ruling_filter(query)
    return query


@dataclass(frozen=True)
class FilterPart:
    label: str
    value: str


def describe(query: str) -> list[FilterPart]:
    """The filters of a valid query in words: [FilterPart("Court", "N.D. Ill."), ...]."""
    filterset = ruling_filter(query)
    form = filterset.form
    params = QueryDict(query)
    parts = []
    for name, field in form.fields.items():
        values = [value for value in params.getlist(name) if value != ""]
        if not values:
            continue
        cleaned = form.cleaned_data.get(name)
        if hasattr(cleaned, "pk"):  # a record looked up by its slug (lawsuit)
            labels = [str(cleaned)]
        else:
            choices = _flat_choices(field)
            labels = [choices.get(value, value) for value in values]
        parts.append(FilterPart(str(field.label or name), ", ".join(labels)))
    return parts


def _flat_choices(field) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in getattr(field, "choices", []):
        if isinstance(value, list | tuple):
            flat.update({str(k): str(v) for k, v in value})
        else:
            flat[str(key)] = str(value)
    return flat


def summary(query: str) -> str:
    """One line naming what a subscription follows, for subjects and lists."""
    try:
        parts = describe(query)
    except InvalidFilters:
        return f"rulings matching {query}"
    if not parts:
        return "all rulings"
    return "rulings: " + "; ".join(f"{part.label} {part.value}" for part in parts)
