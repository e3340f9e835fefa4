"""The list pages' plumbing: one view serves a list's page, its CSV and its JSON through the
list's FilterSet (`ListPage`); the checks every public page makes of its query string; and the
`as_of` date of the status pages.

Invalid parameters answer 400 with the error, never a silent fallback to the unfiltered list.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from django import forms
from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from cases import exports, filters
from cases.caching import request_version
from cases.facets import facets_for

PAGE_SIZE = 50
MAX_PARAMETER_LENGTH = 500
EXPORT_FORMATS = {"csv", "json"}
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ListPage:
    filterset: type[filters.TrackerFilterSet]
    queryset: Any  # a callable returning the base queryset
    template: str
    export: exports.ExportSpec
    # Given the filtered queryset and the valid filterset: the page's rows, with what they show.
    rows: Any = None
    facets: tuple = ()  # FacetSpecs: the form's choices shown with their counts
    tallies: Any = None  # facets.MonthTallies: where the facets' counts are read from months
    title: str = ""
    decorate: Any = None  # given the page's rows as a list and the request: the rows shown

    def as_view(self):
        @require_safe
        def view(request: HttpRequest) -> HttpResponse:
            return list_view(request, self)

        return view


class CountingPaginator(Paginator):
    """Pages of `rows`, counted on `matching`: the filtered records before the joins and
    columns a page's rows add, which the count does not need."""

    def __init__(self, rows: QuerySet, matching: QuerySet):
        super().__init__(rows, PAGE_SIZE)
        self.matching = matching

    @cached_property
    def count(self) -> int:
        return self.matching.count()


def unusable_parameter(request: HttpRequest) -> str | None:
    """Why the query string cannot be used at all (before any filter sees it), if it can't."""
    for key, values in request.GET.lists():
        for value in [key, *values]:
            if "\x00" in value:
                return "Parameters may not contain NUL characters."
            if len(value) > MAX_PARAMETER_LENGTH:
                return f"Parameter values are limited to {MAX_PARAMETER_LENGTH} characters."
    return None


def page_number(request: HttpRequest) -> int | None:
    raw = request.GET.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:  # "²".isdigit() is True
        return None
    return int(raw)


@dataclass(frozen=True)
class FilterValue:
    """One value of a filter in force: the parameter, the value as given, and how a person
    reads it ('N.D. Ill.' for `court=ilnd`)."""

    param: str
    name: str  # the field's label
    raw: str
    label: str
    short: str  # a label for a title: dates and words say what they are ('decided on or after
    # 2018-01-01', '“Chicago”'); courts keep their name (the feed's title cites them)


# Parameters that choose how a page is shown, not what it holds.
DISPLAY_ONLY = {"sort", "all_courts"}
# Filters whose value is free text or a date: a filename names them with the parameter.
NAMED_VALUES = {"q", "lawsuit", "plaintiff", "state"}


def filter_values(filterset: filters.TrackerFilterSet, params: QueryDict) -> list[FilterValue]:
    """Each value of each filter in force (not `sort`), in the form's order; the filterset must
    be valid."""
    values = []
    form = filterset.form
    for name, field in form.fields.items():
        if name in DISPLAY_ONLY:
            continue
        for raw in params.getlist(name):
            if raw in ("", None):
                continue
            label = raw
            cleaned = form.cleaned_data.get(name)
            if hasattr(field, "choices") and not hasattr(cleaned, "pk"):
                flat: dict[str, str] = {}
                for key, value in field.choices:
                    if isinstance(value, list | tuple):
                        flat.update({str(k): str(v) for k, v in value})
                    else:
                        flat[str(key)] = str(value)
                label = flat.get(raw, raw)
            elif cleaned is not None and not isinstance(cleaned, str | bool):
                label = str(cleaned)
            short = label
            if isinstance(field, forms.DateField):
                short = f"{(field.label or name).lower()} {raw}"
            elif name == "q":
                short = f"“{raw}”"
            values.append(FilterValue(name, field.label or name, raw, label, short))
    return values


def active_filters(filterset: filters.TrackerFilterSet, params: QueryDict) -> list[dict]:
    """Each filter value in force, with a link that removes just that value."""
    pairs = [(key, raw) for key, values in params.lists() if key != "page" for raw in values]
    active = []
    for value in filter_values(filterset, params):
        remove = "&".join(
            encoded_pair(key, raw) for key, raw in pairs if (key, raw) != (value.param, value.raw)
        )
        active.append({"name": value.name, "value": value.label, "remove": remove})
    return active


@functools.lru_cache(maxsize=4096)
def encoded_pair(key: str, value: str) -> str:
    """`key=value` as QueryDict.urlencode() writes it, once per process for each pair: a list
    page writes a dozen links from its query."""
    return f"{quote_plus(key)}={quote_plus(value)}"


FILENAME_STEM_LIMIT = 80


def download_stem(name: str, values: list[FilterValue]) -> str:
    """What a download holds, for its filename: the list, then each filter value as given
    (`rulings-ilnd-preliminary_injunction`; `jag_conditions` for `jag-conditions`), dates and
    free text after their parameter's name (`decided_after_2017-09-01`, `q_Chicago`).
    Only letters, digits, `_`, `.` and `-`; at most FILENAME_STEM_LIMIT characters (a longer
    one is cut and ends in a short digest of the whole, so two downloads still differ)."""
    words = []
    for value in values:
        raw = value.raw
        # `-` separates the words, so it is kept only inside a date.
        word = raw if ISO_DAY.fullmatch(raw) else re.sub(r"[^A-Za-z0-9_.]+", "_", raw).strip("_.")
        if word and (value.param in NAMED_VALUES or ISO_DAY.fullmatch(raw)):
            word = f"{value.param}_{word}"
        if word:
            words.append(word)
    stem = "-".join([name, *words])
    if len(stem) > FILENAME_STEM_LIMIT:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:8]
        stem = stem[: FILENAME_STEM_LIMIT - len(digest) - 1].rstrip("-_.") + "-" + digest
    return stem


def list_view(request: HttpRequest, page: ListPage) -> HttpResponse:
    fmt = request.GET.get("format", "html")
    if fmt not in EXPORT_FORMATS | {"html"}:
        return HttpResponseBadRequest(
            "format must be csv, json or html.\n", content_type="text/plain; charset=utf-8"
        )
    unusable = unusable_parameter(request)
    if unusable and fmt in EXPORT_FORMATS:
        return HttpResponseBadRequest(unusable + "\n", content_type="text/plain; charset=utf-8")

    params = QueryDict(mutable=True) if unusable else request.GET.copy()
    for reserved in ("format", "page"):
        params.pop(reserved, None)
    filterset = page.filterset(params, queryset=page.queryset(), request=request)
    valid = filterset.is_valid() and not unusable

    if fmt in EXPORT_FORMATS:
        if not valid:
            return HttpResponseBadRequest(
                f"Invalid filter: {filterset.errors_text}\n",
                content_type="text/plain; charset=utf-8",
            )
        site_root = request.build_absolute_uri("/").rstrip("/")
        return exports.export_response(
            page.export,
            filterset.qs,
            fmt,
            site_root=site_root,
            version=request_version(request),
            as_of=getattr(filterset, "as_of_date", None),
            stem=download_stem(page.export.name, filter_values(filterset, params)),
        )

    context: dict[str, Any] = {
        "filter": filterset,
        "title": page.title,
        "export_name": page.export.name,
        "active_filters": active_filters(filterset, params) if valid else [],
    }
    if not valid:
        context.update(invalid=True, page_error=unusable)
        return render(request, page.template, context, status=400)

    number = page_number(request)
    if number is None:
        context["invalid"] = True
        context["page_error"] = "page must be a whole number of 1 or more."
        return render(request, page.template, context, status=400)
    queryset = filterset.qs
    shown = page.rows(queryset, filterset) if page.rows else queryset
    paginator = CountingPaginator(shown, queryset)
    if page.facets:
        found, total = facets_for(filterset, params, page.facets, page.tallies)
        for name, facet in found.items():
            filterset.form.fields[name].facet = facet  # the form's own copy of the field
        if total is not None:
            paginator.count = total  # told by the facets' counts: no count query of its own
    try:
        page_obj = paginator.page(number)
    except EmptyPage:
        raise Http404("No such page.") from None
    rows = list(page_obj.object_list)
    if page.decorate:
        rows = page.decorate(rows, request)
    context.update(page_obj=page_obj, rows=rows, count=paginator.count)
    return render(request, page.template, context)


def as_of_param(request: HttpRequest) -> datetime.date | None:
    """The `as_of` date a page is asked about (YYYY-MM-DD), or None for today.

    Raises ValueError for anything else (`2017-1-1`, `2017-W01-1`, a second value).
    """
    form = filters.AsOfForm(request.GET)
    if len(request.GET.getlist("as_of")) > 1 or not form.is_valid():
        raise ValueError(request.GET.get("as_of"))
    return form.cleaned_data["as_of"]


def bad_as_of(request: HttpRequest) -> HttpResponse:
    """400: the page's `as_of` form with its error, to correct the date there."""
    form = filters.AsOfForm(request.GET)
    if form.is_valid():  # valid alone, but given more than once
        form.add_error("as_of", "Give one date only.")
    return render(request, "cases/as_of_error.html", {"form": form}, status=400)
