"""The timeline: policy announcements and ends, lawsuit filings and rulings in date order.

`/timeline/` shows every published event; the same page per record is the timeline filtered to
it (`?policy=<slug>`, `?lawsuit=<slug>`, `?program=<slug>`, `?court=<id>`). Filters:

* `policy`, `lawsuit`, `program`, `court` (each repeatable; values of one filter are OR-ed,
  different filters AND-ed), `circuit` (a court of appeals and the courts under it);
* `after`, `before`: ISO dates, inclusive, compared with the recorded date;
* `kind`: `policy` (announced), `filing`, `ruling`, `end` (policy revoked, superseded, expired).

What a record filter keeps, by kind of event:

=========== ============================= ============================ ==========================
filter      policy announced / ended      lawsuit filed                ruling
=========== ============================= ============================ ==========================
policy      that policy                   suits challenging it         rulings with an effect on
                                                                       it (as /rulings/?policy=)
lawsuit     policies the suit challenges  that suit                    rulings issued in it
program     policies conditioning it      suits challenging those      rulings with an effect on
                                                                       those policies
court       policies challenged by a      suits filed in the court     rulings of the court
            suit filed in the court, or
            with an effect from one of
            its rulings
circuit     as court, for the circuit     as court, for the circuit    as court, for the circuit
=========== ============================= ============================ ==========================

The record and court filters narrow each kind of record with the functions the lists' FilterSets
use (`filters.in_courts`, `rulings_with_effect_on`, `rulings_in`, `lawsuits_challenging`), so
`?court=ilnd` or `?policy=...` keeps here exactly the rulings and suits the lists keep. The court
choices are grouped by circuit, each with the number of filings and rulings it would show
(courts with none left out unless chosen; `all_courts=true` lists them all).

Invalid parameters answer 400 with the form and its errors; nothing falls back silently. The
page makes the same number of queries however many events it shows.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, Exists, F, OuterRef, Prefetch, QuerySet, Value
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cases.caching import DataVersion, request_version
from cases.facets import Facet, FacetGroup, FacetOption, court_facet
from cases.filters import (
    CircuitField,
    CourtField,
    StrictBooleanField,
    StrictDateField,
    in_courts,
    lawsuits_challenging,
    rulings_in,
    rulings_with_effect_on,
)
from cases.listing import unusable_parameter
from cases.models import (
    Court,
    DatePrecision,
    FundingProgram,
    Lawsuit,
    Policy,
    PolicyEnd,
    Ruling,
    RulingEffect,
)
from cases.selectors import (
    published_lawsuits,
    published_policies,
    published_rulings,
)

POLICY, END, FILING, RULING = "policy", "end", "filing", "ruling"
KIND_CHOICES = [
    (POLICY, "Policy announced"),
    (FILING, "Lawsuit filed"),
    (RULING, "Ruling"),
    (END, "Policy ended"),
]
# Events on the same day: a policy before the suits against it, a filing before its rulings.
KIND_ORDER = {POLICY: 0, END: 1, FILING: 2, RULING: 3}
SINGLE_VALUED = ("circuit", "after", "before")
# A page shows at most this many events, oldest first, with a link to continue from the last
# day shown: an unfiltered timeline over years of litigation must stay a page, not a dump.
PAGE_EVENTS = 500


# --- The form -----------------------------------------------------------------------------------


class SlugMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Published records chosen by slug, one or more."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(queryset, **kwargs)


class SlugsInput(forms.TextInput):
    """One text box for one or more slugs, separated by spaces or commas. `?lawsuit=a&lawsuit=b`
    (what links carry) and `?lawsuit=a+b` (what the box submits) mean the same."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name, "")]
        return [slug for value in values for slug in value.replace(",", " ").split()]

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return " ".join(str(v) for v in value) or None
        return super().format_value(value)


class TimelineForm(forms.Form):
    policy = SlugMultipleChoiceField(
        published_policies().order_by("issued_on", "slug"),
        label="Policy",
        help_text="One or more policies",
    )
    # A text box, not a list: there may be tens of thousands of lawsuits, and each lawsuit's page
    # links to its own timeline.
    lawsuit = SlugMultipleChoiceField(
        published_lawsuits().order_by("caption", "slug"),
        label="Lawsuit",
        widget=SlugsInput,
        help_text="The short name in a lawsuit's address; several separated by spaces",
    )
    program = SlugMultipleChoiceField(
        FundingProgram.objects.order_by("short_name"),
        label="Funding program",
        help_text="One or more programs",
    )
    court = CourtField(required=False, label="Court", help_text="One or more courts")
    circuit = CircuitField(
        required=False,
        empty_label="Any circuit",
        help_text="A court of appeals and the courts under it",
    )
    after = StrictDateField(required=False, label="On or after")
    before = StrictDateField(required=False, label="On or before")
    all_courts = StrictBooleanField(
        required=False, widget=forms.HiddenInput, label="Show all courts"
    )
    kind = forms.MultipleChoiceField(
        required=False,
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Kind of event",
    )

    def clean(self):
        cleaned = super().clean()
        if isinstance(self.data, QueryDict):
            for name in SINGLE_VALUED:
                if len(self.data.getlist(name)) > 1:
                    self.add_error(name, ValidationError("Give this filter at most one value."))
        after, before = cleaned.get("after"), cleaned.get("before")
        if after and before and after > before:
            self.add_error("before", ValidationError("This date is earlier than “On or after”."))
        return cleaned


def _form_data(request: HttpRequest) -> QueryDict:
    """The query string without empty values of repeatable filters (an empty value is no
    filter, as for the dates)."""
    data = request.GET.copy()
    for name in ("policy", "lawsuit", "program", "court", "kind"):
        if name in data:
            values = [value for value in data.getlist(name) if value != ""]
            if values:
                data.setlist(name, values)
            else:
                del data[name]
    return data


# --- Events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    kind: str
    date: datetime.date
    precision: str  # a DatePrecision value
    record: Any  # the Policy, Lawsuit or Ruling the event links to
    order: int = 0  # ties on the same day: by kind, then this

    @property
    def sort_key(self) -> tuple:
        # An event known only to the year comes first in its year, one known only to the
        # month first in its month.
        month = 0 if self.precision == DatePrecision.YEAR else self.date.month
        day = self.date.day if self.precision == DatePrecision.DAY else 0
        return (self.date.year, month, day, KIND_ORDER[self.kind], self.order)

    @property
    def datetime_attr(self) -> str:
        """The value for <time datetime>: as exactly as the date is known."""
        if self.precision == DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.date:%Y-%m}"
        return f"{self.date:%Y-%m-%d}"

    @property
    def display_date(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.date:%b %Y}"
        return f"{self.date.day} {self.date:%b %Y}"

    @property
    def end_label(self) -> str:
        end = self.record.end_kind
        return PolicyEnd(end).label if end in PolicyEnd.values else "Ended"


@dataclass
class Month:
    month: int | None  # None: the month is not known
    heading: str
    events: list[Event]


@dataclass
class Year:
    year: int
    months: list[Month]

    @property
    def count(self) -> int:
        return sum(len(m.events) for m in self.months)


def _courts(queryset: QuerySet, data: dict, field: str = "court_id") -> QuerySet:
    """The `court` and `circuit` filters, as the lists apply them (filters.in_courts)."""
    return in_courts(queryset, data["court"], data["circuit"], data["version"], field)


def _policies(data: dict) -> QuerySet[Policy]:
    queryset = published_policies()
    if data["policy"]:
        queryset = queryset.filter(pk__in=[p.pk for p in data["policy"]])
    if data["program"]:
        queryset = queryset.filter(
            Exists(
                Policy.programs.through.objects.filter(
                    policy=OuterRef("pk"), fundingprogram__in=data["program"]
                )
            )
        )
    if data["lawsuit"]:
        queryset = queryset.filter(
            Exists(
                Lawsuit.policies.through.objects.filter(
                    policy=OuterRef("pk"), lawsuit__in=data["lawsuit"]
                )
            )
        )
    if data["court"] or data["circuit"]:
        suits = _courts(published_lawsuits(), data).filter(policies=OuterRef("pk"))
        ruled_on = _courts(
            RulingEffect.objects.filter(policy=OuterRef("pk"), ruling__in=published_rulings()),
            data,
            "ruling__court_id",
        )
        queryset = queryset.filter(Exists(suits) | Exists(ruled_on))
    return queryset


def _lawsuits(data: dict) -> QuerySet[Lawsuit]:
    """The suits filed, narrowed as /lawsuits/ narrows them (its FilterSet's own functions)."""
    queryset = _courts(published_lawsuits(), data)
    if data["lawsuit"]:
        queryset = queryset.filter(pk__in=[s.pk for s in data["lawsuit"]])
    queryset = lawsuits_challenging(queryset, policies=data["policy"], programs=data["program"])
    return queryset.select_related("court")


def _rulings(data: dict) -> QuerySet[Ruling]:
    """The rulings, narrowed as /rulings/ narrows them (its FilterSet's own functions)."""
    queryset = _courts(published_rulings(), data)
    if data["lawsuit"]:
        queryset = rulings_in(queryset, data["lawsuit"])
    queryset = rulings_with_effect_on(queryset, policies=data["policy"], programs=data["program"])
    return queryset.select_related("court").prefetch_related(
        Prefetch("lawsuits", queryset=published_lawsuits().order_by("filed_on", "slug"))
    )


def _dated(queryset: QuerySet, field: str, data: dict) -> QuerySet:
    if data["after"]:
        queryset = queryset.filter(**{f"{field}__gte": data["after"]})
    if data["before"]:
        queryset = queryset.filter(**{f"{field}__lte": data["before"]})
    return queryset


def events_for(
    data: dict, limit: int | None = None, version: DataVersion | None = None
) -> list[Event]:
    """The published events the cleaned filters ask for, in date order. Four queries at most:
    policies, their ends, lawsuits, rulings (with their lawsuits prefetched) -- whatever the
    number of events. With `limit`, the first `limit` + 1 events at most (each query reads no
    more than that many rows), so the caller can tell that there are more."""
    kinds = set(data["kind"]) or {POLICY, END, FILING, RULING}
    data = {**data, "version": version}

    def first(queryset: QuerySet, field: str) -> QuerySet:
        queryset = _dated(queryset, field, data).order_by(field, "pk")
        return queryset[: limit + 1] if limit is not None else queryset

    events: list[Event] = []
    if POLICY in kinds or END in kinds:
        policies = _policies(data)
        if POLICY in kinds:
            for policy in first(policies, "issued_on"):
                events.append(
                    Event(POLICY, policy.issued_on, policy.issued_on_precision, policy, policy.pk)
                )
        if END in kinds:
            for policy in first(policies.filter(ended_on__isnull=False), "ended_on"):
                events.append(Event(END, policy.ended_on, DatePrecision.DAY, policy, policy.pk))
    if FILING in kinds:
        for suit in first(_lawsuits(data), "filed_on"):
            events.append(Event(FILING, suit.filed_on, suit.filed_on_precision, suit, suit.pk))
    if RULING in kinds:
        for ruling in first(_rulings(data), "decided_on"):
            events.append(Event(RULING, ruling.decided_on, DatePrecision.DAY, ruling, ruling.pk))
    events.sort(key=lambda event: event.sort_key)
    return events[: limit + 1] if limit is not None else events


def court_counts(data: dict, version: DataVersion | None) -> dict[str, int]:
    """The filings and rulings each court would show under the other filters in force (the
    court facet's counts), in one grouped query."""
    data = {**data, "court": [], "version": version}
    kinds = set(data["kind"]) or {FILING, RULING}
    queries = []
    if FILING in kinds:
        queries.append(_dated(_lawsuits(data), "filed_on", data))
    if RULING in kinds:
        queries.append(_dated(_rulings(data).prefetch_related(None), "decided_on", data))
    grouped = [q.order_by().values("court_id").annotate(n=Count("pk")) for q in queries]
    counts: dict[str, int] = {}
    if grouped:
        union = grouped[0].union(*grouped[1:], all=True) if len(grouped) > 1 else grouped[0]
        for row in union:
            counts[row["court_id"]] = counts.get(row["court_id"], 0) + row["n"]
    return counts


def _add(counts: dict[str, int], rows) -> None:
    for key, n in rows:
        if key is not None:
            counts[str(key)] = counts.get(str(key), 0) + n


# What each event is grouped by for the policy and program facets.
FACET_KEYS = {
    "policy": {POLICY: "pk", END: "pk", FILING: "policies", RULING: "effects__policy"},
    "program": {
        POLICY: "programs",
        END: "programs",
        FILING: "policies__programs",
        RULING: "effects__policy__programs",
    },
}


def choice_counts(data: dict, version: DataVersion | None) -> dict[str, dict[str, int]]:
    """The events each kind, policy and program would show under the other filters in force
    (their facets' counts), keyed by kind, policy id and program id: one query per facet (the
    union of its grouped counts over the kinds of event) whatever the number of events."""
    found: dict[str, dict[str, int]] = {"kind": {}, "policy": {}, "program": {}}
    for name in found:
        own = {**data, name: [], "version": version}
        policies = _policies(own).order_by()
        events = {
            POLICY: _dated(policies, "issued_on", own),
            END: _dated(policies.filter(ended_on__isnull=False), "ended_on", own),
            FILING: _dated(_lawsuits(own).order_by(), "filed_on", own),
            RULING: _dated(_rulings(own).prefetch_related(None).order_by(), "decided_on", own),
        }
        grouped = []
        for kind, queryset in events.items():
            if own["kind"] and kind not in own["kind"]:
                continue
            if name == "kind":
                key = Value(kind, output_field=CharField())
            else:
                key = F(FACET_KEYS[name][kind])
            grouped.append(
                queryset.annotate(facet_key=key)
                .values("facet_key")
                .annotate(n=Count("pk", distinct=True))
                .values_list("facet_key", "n")
            )
        if grouped:
            _add(found[name], grouped[0].union(*grouped[1:], all=True))
    return found


def _choice_facet(form: TimelineForm, name: str, found: dict[str, int], noun: str) -> Facet:
    """A timeline choice (kind, policy, program) with the events it would show."""
    field_ = form.fields[name]
    chosen = {str(getattr(value, "slug", value)) for value in form.cleaned_data.get(name) or []}
    if isinstance(field_, forms.ModelMultipleChoiceField):
        choices = [(str(r.slug), str(r), str(r.pk)) for r in field_.queryset]
    else:
        choices = [(str(value), str(label), str(value)) for value, label in field_.choices]
    options = [
        FacetOption(value, label, found.get(key, 0), value in chosen, f"id_{name}_{index}")
        for index, (value, label, key) in enumerate(choices)
    ]
    return Facet(
        name=name,
        label=str(field_.label or name),
        noun=noun,
        groups=[FacetGroup("", options)],
        multiple=True,
        empty_label="Any",
    )


def group_by_month(events: list[Event]) -> list[Year]:
    """Events (already in order) grouped by year, then by month."""
    years = []
    for year, in_year in itertools.groupby(events, key=lambda e: e.sort_key[0]):
        months = []
        for month, in_month in itertools.groupby(in_year, key=lambda e: e.sort_key[1]):
            if month:
                heading = datetime.date(year, month, 1).strftime("%B %Y")
            else:
                heading = f"{year}, month not known"
            months.append(Month(month or None, heading, list(in_month)))
        years.append(Year(year, months))
    return years


def _chosen(form: TimelineForm) -> list[dict]:
    """Each filter value in force, with the record it names and a link that drops just it."""
    data, chosen = form.cleaned_data, []
    params = form.data

    def remove(name: str, raw: str) -> str:
        remaining = params.copy()
        values = params.getlist(name)
        if isinstance(form.fields[name].widget, SlugsInput):  # "a b" holds two values
            values = form.fields[name].widget.value_from_datadict(params, None, name)
        remaining.setlist(name, [v for v in values if v != raw])
        return remaining.urlencode()

    records = (
        ("policy", "Policy", "short_title"),
        ("lawsuit", "Lawsuit", "caption"),
        ("program", "Program", "short_name"),
    )
    for name, label, attribute in records:
        for record in data[name]:
            chosen.append(
                {
                    "name": label,
                    "value": getattr(record, attribute),
                    "url": record.get_absolute_url(),
                    "remove": remove(name, record.slug),
                }
            )
    names = {pk: court for _, group in form.fields["court"].choices for pk, court in group}
    for pk in data["court"]:
        chosen.append(
            {
                "name": "Court",
                "value": names[pk],
                "url": Court(pk=pk).get_absolute_url(),
                "remove": remove("court", pk),
            }
        )
    if data["circuit"]:
        circuit = data["circuit"]
        circuits = {pk: name for pk, name in form.fields["circuit"].choices if pk}
        chosen.append(
            {
                "name": "Circuit",
                "value": circuits.get(circuit, circuit),
                "url": Court(pk=circuit).get_absolute_url(),
                "remove": remove("circuit", circuit),
            }
        )
    for name, label in (("after", "On or after"), ("before", "On or before")):
        if data[name]:
            day = data[name]
            chosen.append(
                {
                    "name": label,
                    "value": f"{day.day} {day:%b %Y}",
                    "remove": remove(name, params.get(name)),
                }
            )
    kinds = dict(KIND_CHOICES)
    for kind in data["kind"]:
        chosen.append({"name": "Kind", "value": kinds[kind], "remove": remove("kind", kind)})
    return chosen


# --- The view -----------------------------------------------------------------------------------


@require_safe
def timeline(request: HttpRequest) -> HttpResponse:
    unusable = unusable_parameter(request)
    form = TimelineForm(QueryDict() if unusable else _form_data(request))
    context: dict[str, Any] = {"filter": {"form": form}, "title": "Timeline"}
    if unusable or not form.is_valid():
        context.update(invalid=True, page_error=unusable)
        return render(request, "cases/timeline.html", context, status=400)
    events = events_for(form.cleaned_data, limit=PAGE_EVENTS, version=request_version(request))
    more = len(events) > PAGE_EVENTS
    events = events[:PAGE_EVENTS]
    later_url = None
    if more:
        # The next window starts on the last day shown (its events appear again, none is lost).
        params = _form_data(request)
        params["after"] = events[-1].date.isoformat()
        later_url = "?" + params.urlencode()
    version = request_version(request)
    found = court_counts(form.cleaned_data, version)
    noun = "matching filings and rulings"
    form.fields["court"].facet = court_facet(form, form.data, found, noun, version)
    for name, counts in choice_counts(form.cleaned_data, version).items():
        form.fields[name].facet = _choice_facet(form, name, counts, "matching events")
    context.update(
        years=group_by_month(events),
        count=len(events),
        more=more,
        later_url=later_url,
        last_day=events[-1].date if events else None,
        active_filters=_chosen(form),
    )
    return render(request, "cases/timeline.html", context)
