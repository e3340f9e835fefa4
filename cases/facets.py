"""Facets: each choice of a list's filter form with the number of matching records it would give,
under the other filters now applied (the rulings in each court among those of the chosen kind,
say), read in one grouped query whatever the size of the data, or, for the rulings of a court
under date bounds, summed from monthly tallies the process keeps (`MonthTallies`).

Court choices come grouped by circuit; courts with no match are left out unless chosen, and
`all_courts=true` (the "show all courts" link) lists every court, so none is out of reach.
Kinds, outcomes, statuses, policies and programs keep every choice, each with its count.
"""

from __future__ import annotations

import datetime
import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from django import forms
from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, Expression, Model, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat, TruncMonth
from django.http import QueryDict

from cases import filters
from cases.caching import DataVersion, KeptForVersion, until_next_change
from cases.models import Lawsuit, RulingEffect, RulingMonthCount
from cases.selectors import as_date, court_facet_rows_now

# A count query: given the list's records filtered by every filter but the facet's own, the
# rows (facet, key, n) of this facet; given `month`, the records' date, per month too (rows
# (facet, key, month, n), for the monthly tallies).
Counter = Callable[..., QuerySet]


@dataclass(frozen=True)
class FacetSpec:
    name: str  # the filter's parameter
    count: Counter
    noun: str = "records"  # what is counted, for screen readers: "matching rulings"
    # A column of a few values (a kind, an outcome): facets of such columns that count the
    # same records are counted together, in one pass over them (`counts`).
    few_values_column: str = ""
    # Every record has exactly one value of it (a required column, not a link): while its own
    # filter is not in force, its counts add up to the number of records the list shows.
    partitions: bool = False
    # Given the valid filterset and the records to count: count queries (facet, key, n) that
    # read counts the database keeps instead of the records, or None when the filters in force
    # are not ones those counts are kept by (then `count` counts the records).
    stored: Callable[[filters.TrackerFilterSet, QuerySet], list[QuerySet] | None] | None = None


def few_values(name: str, column: str, noun: str) -> FacetSpec:
    """The facet of a required column with a few values (its choices)."""
    return FacetSpec(name, by_column(name, column), noun, few_values_column=column, partitions=True)


def listed_total(filterset: filters.TrackerFilterSet, specs, found: dict) -> int | None:
    """How many records the list shows, from the facets' counts when one of them partitions the
    records with its own filter not in force (its counts are then of exactly those records),
    else None."""
    for spec in specs:
        if spec.partitions and not filterset.form.cleaned_data.get(spec.name):
            return sum(found[spec.name].values())
    return None


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    id: str = ""


@dataclass
class FacetGroup:
    legend: str  # empty for a facet without groups
    options: list[FacetOption]


@dataclass
class Facet:
    name: str
    label: str
    noun: str
    groups: list[FacetGroup]
    multiple: bool  # checkboxes; a single choice is a <select>
    hidden: int = 0  # choices left out for having no match
    show_all_url: str = ""  # the same page listing every choice ("show all courts")
    fewer_url: str = ""  # back to the choices with a match
    empty_label: str = ""  # a <select>'s "any" choice

    @property
    def options(self) -> list[FacetOption]:
        return [option for group in self.groups for option in group.options]


def by_column(name: str, column: str, n: Expression | None = None) -> Counter:
    """Counts of the records per value of one of their columns (`n`, by default one a record:
    Sum("rulings") adds up rows that are counts themselves); with `month`, the name of the
    records' date, per value and month too."""

    def count(records: QuerySet, month: str = "") -> QuerySet:
        records = records.order_by().annotate(
            facet=Value(name, output_field=CharField()), key=Cast(column, CharField())
        )
        if month:
            records = records.annotate(month=TruncMonth(month))
        return records.values("facet", "key", *(["month"] if month else [])).annotate(
            n=n or Count("pk")
        )

    return count


@dataclass(frozen=True)
class Through:
    """Counts of the records per related record reached through `model` (a link table): e.g.
    rulings per policy through their effects (`key` "policy_id" from `owner` "ruling").
    `public` narrows the links to public ones. Facets reached through the same links from the
    same records are counted in one pass over those links (`links_together`)."""

    name: str
    model: type[Model]
    owner: str
    key: str
    public: tuple[tuple[str, str], ...] = ()

    def links(self, records: QuerySet) -> QuerySet:
        return self.model.objects.filter(
            **{f"{self.owner}__in": records.order_by().values("pk")}, **dict(self.public)
        )

    def __call__(self, records: QuerySet, month: str = "") -> QuerySet:
        links = (
            self.links(records)
            .filter(**{f"{self.key}__isnull": False})
            .annotate(
                facet=Value(self.name, output_field=CharField()), key=Cast(self.key, CharField())
            )
        )
        if month:  # the date of the owner (the ruling)
            links = links.annotate(month=TruncMonth(f"{self.owner}__{month}"))
        return (
            links.values("facet", "key", *(["month"] if month else []))
            .annotate(n=Count(self.owner, distinct=True))
            .order_by()
        )


def through(name: str, model: type[Model], owner: str, key: str, **public) -> Through:
    return Through(name, model, owner, key, tuple(sorted(public.items())))


def links_together(
    counters: list[Through], records: QuerySet, label: str
) -> tuple[str, tuple, list[tuple[str, tuple]]]:
    """One pass over the links of `records` for several facets reached through them (the
    policies and the programs of a court's rulings): a common table expression `label` of the
    links, each with the key of every facet, and a count query per facet over it. Returns the
    expression's SQL and parameters, and each count query's."""
    first = counters[0]
    rows = first.links(records).values_list(first.owner, *(c.key for c in counters)).order_by()
    sql, params = rows.query.sql_with_params()
    keys = [f"k{index}" for index in range(len(counters))]
    cte = f"{label} (owner, {', '.join(keys)}) AS ({sql})"
    counts = [
        (
            f"SELECT %s AS facet, CAST({key} AS VARCHAR(255)) AS key, COUNT(DISTINCT owner) AS n "
            f"FROM {label} WHERE {key} IS NOT NULL GROUP BY {key}",
            (counter.name,),
        )
        for key, counter in zip(keys, counters, strict=True)
    ]
    return cte, params, counts


def _month_start(day: datetime.date, later: int = 0) -> datetime.date | None:
    """The first day of `day`'s month, or of the month `later` months after it; None past the
    calendar's end."""
    month = day.year * 12 + day.month - 1 + later
    if month // 12 > datetime.MAXYEAR:
        return None
    return datetime.date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Months:
    """Date bounds (either may be None) split into the whole months inside them, from `first`
    on and before `end` (either None: open), and the days of the months they cut."""

    after: datetime.date | None
    before: datetime.date | None
    first: datetime.date | None
    end: datetime.date | None

    @classmethod
    def of(cls, after: datetime.date | None, before: datetime.date | None) -> Months | None:
        """None when the bounds hold no whole month (their rulings are few: count them)."""
        first = after and _month_start(after, later=0 if after.day == 1 else 1)
        end = None
        if before and before < datetime.date.max:
            end = _month_start(before + datetime.timedelta(days=1))
        if (after and first is None) or (first and end and first >= end):
            return None
        return cls(after, before, first, end)

    @property
    def cuts_first_month(self) -> bool:
        return bool(self.after and self.first != self.after)

    @property
    def cuts_last_month(self) -> bool:
        return bool(self.end and self.before and self.end <= self.before)

    def cut(self, field: str) -> Q:
        """The records of the days in the bounds outside the whole months (no condition: none)."""
        cut = Q()
        if self.cuts_first_month:
            cut |= Q(**{f"{field}__lt": self.first})
        if self.cuts_last_month:
            cut |= Q(**{f"{field}__gte": self.end})
        return cut

    def cut_months(self) -> list[tuple[datetime.date, datetime.date | None]]:
        """The months the bounds cut, each as (its first day, the next month's)."""
        months = []
        if self.cuts_first_month:
            months.append((_month_start(self.after), self.first))
        if self.cuts_last_month:
            months.append((self.end, _month_start(self.end, later=1)))
        return months


def only_filters(filterset: filters.TrackerFilterSet, allowed) -> bool:
    """Whether no filter in force is outside `allowed` (a valid filterset)."""
    return not any(
        value not in (None, "", [], False)
        for name, value in filterset.form.cleaned_data.items()
        if name not in allowed
    )


def court_months(filterset: filters.TrackerFilterSet, records: QuerySet) -> list[QuerySet] | None:
    """The rulings per court under date bounds alone, from the stored counts (PostgreSQL): the
    months inside the bounds summed, and the rulings of the months the bounds cut counted."""
    if connection.vendor != "postgresql":  # SQLite keeps no counts
        return None
    # Under the filters the monthly tallies answer: the court's own, date bounds, display.
    tallies = RULING_TALLIES
    if not tallies.applies(filterset):
        return None
    data = filterset.form.cleaned_data
    months = Months.of(data.get(tallies.after), data.get(tallies.before))
    if months is None:
        return None
    stored = RulingMonthCount.objects.all()
    if months.first:
        stored = stored.filter(month__gte=months.first)
    if months.end:
        stored = stored.filter(month__lt=months.end)
    queries = [by_column("court", "court_id", n=Sum("rulings"))(stored)]
    cut = months.cut(tallies.date)
    if cut:
        queries.append(by_column("court", "court_id")(records.filter(cut)))
    return queries


def _without(filterset: filters.TrackerFilterSet, name: str) -> QuerySet:
    """The list's records under every filter in force but `name` (and `sort`): what a choice
    of `name` would narrow."""
    queryset = filterset.queryset
    for param, value in filterset.form.cleaned_data.items():
        if param in (name, "sort"):
            continue
        queryset = filterset.filters[param].filter(queryset, value)
    return queryset


# Between the values of several columns counted together; never in a column's code.
SEPARATOR = "\x1f"


def counted_together(names: list[str], columns: list[str], records: QuerySet) -> QuerySet:
    """Counts of `records` per combination of `columns` (a few values each), one pass over the
    records for several facets: the row's facet is the names joined by SEPARATOR, its key the
    values; `counts` adds them up per facet."""
    values = []
    for column in columns:
        values += [Cast(column, CharField()), Value(SEPARATOR)]
    return (
        records.order_by()
        .annotate(
            facet=Value(SEPARATOR.join(names), output_field=CharField()),
            key=Concat(*values[:-1], output_field=CharField()),
        )
        .values("facet", "key")
        .annotate(n=Count("pk"))
    )


def _part(query: QuerySet, *columns: str) -> tuple[str, tuple]:
    """A count query as one part of a UNION ALL: its `columns`, and its parameters."""
    sql, params = query.query.sql_with_params()
    selected = ", ".join(f'"{column}"' for column in columns)
    return f"SELECT {selected} FROM ({sql}) AS part", tuple(params)


def _same(records: QuerySet) -> tuple[str, str]:
    """What two querysets of the same records have in common: their SQL and parameters."""
    sql, params = records.query.sql_with_params()
    return sql, repr(params)


def counts(
    filterset: filters.TrackerFilterSet,
    specs: tuple[FacetSpec, ...],
    tallies: MonthTallies | None = None,
) -> dict:
    """{facet name: {key: count}} for every spec: read from the monthly `tallies` where they
    answer (`tallied`), else counted in one query (`counted`)."""
    if tallies is not None:
        found = tallied(filterset, specs, tallies)
        if found is not None:
            return found
    return counted(filterset, specs)


def counted(
    filterset: filters.TrackerFilterSet, specs: tuple[FacetSpec, ...], narrow: Q | None = None
) -> dict:
    """{facet name: {key: count}} for every spec, in one query (a UNION ALL of grouped counts);
    with `narrow`, of the records that meet it only.

    Facets of few-valued columns that count the same records (the kinds, outcomes and scopes
    of the rulings in one court) are counted by one grouped pass over those records, and
    facets reached through the same links from the same records (the policies and programs of
    those rulings, through their effects) by one pass over those links."""
    if not specs:
        return {}
    queries = []
    # The few-valued facets by the records they count (the same SQL: the same records), and
    # the facets through links by the links and the records.
    together: dict[tuple, tuple[QuerySet, list[FacetSpec]]] = {}
    linked: dict[tuple, tuple[QuerySet, list[Through]]] = {}
    for spec in specs:
        records = _without(filterset, spec.name)
        if narrow is not None:
            records = records.filter(narrow)
        stored = spec.stored(filterset, records) if spec.stored and narrow is None else None
        if stored is not None:
            queries += stored
        elif spec.few_values_column:
            together.setdefault(_same(records), (records, []))[1].append(spec)
        elif isinstance(spec.count, Through):
            counter = spec.count
            group = (counter.model, counter.owner, counter.public, *_same(records))
            linked.setdefault(group, (records, []))[1].append(counter)
        else:
            queries.append(spec.count(records))
    for records, group in together.values():
        if len(group) == 1:
            queries.append(group[0].count(records))
        else:
            names = [spec.name for spec in group]
            columns = [spec.few_values_column for spec in group]
            queries.append(counted_together(names, columns, records))
    ctes: list[str] = []
    params: list = []
    parts: list[tuple[str, tuple]] = []
    for records, counters in linked.values():
        if len(counters) == 1:
            queries.append(counters[0](records))
        else:
            cte, cte_params, through = links_together(counters, records, f"links{len(ctes)}")
            ctes.append(cte)
            params += cte_params
            parts += through
    parts += [_part(query, "facet", "key", "n") for query in queries]
    sql = " UNION ALL ".join(part for part, _ in parts)
    if ctes:
        sql = f"WITH {', '.join(ctes)} {sql}"
    for _, own in parts:
        params += own
    found: dict[str, dict[str, int]] = {spec.name: {} for spec in specs}

    def read() -> list[tuple[str, str, int]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # The same filters give the same counts until the data changes: the next page of a list,
    # or the list sorted another way, does not count them again.
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    for facet, key, n in until_next_change(filterset.data_version, f"facets:{digest}", read):
        names = facet.split(SEPARATOR)
        keys = key.split(SEPARATOR) if len(names) > 1 else [key]
        for name, one in zip(names, keys, strict=True):
            found[name][one] = found[name].get(one, 0) + n
    return found


# --- Monthly tallies ----------------------------------------------------------------------------


def _month_number(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


class Tally:
    """Counts per month, summed over any run of months by two bisections of the months that
    have a count. The months (as numbers) and the running sums are kept in arrays of machine
    integers: a court's tallies hold thousands of them."""

    __slots__ = ("months", "running")

    def __init__(self, per_month: dict[datetime.date, int]):
        months = sorted(per_month)
        self.months = array("l", map(_month_number, months))
        self.running = array("q", accumulate((per_month[m] for m in months), initial=0))

    def between(self, first: datetime.date | None, end: datetime.date | None) -> int:
        """The sum of the months from `first`'s on and before `end`'s (None: open)."""
        return self.within(first and _month_number(first), end and _month_number(end))

    def within(self, first: int | None, end: int | None) -> int:
        """`between` for months given as numbers (`_month_number`)."""
        low = bisect_left(self.months, first) if first is not None else 0
        high = bisect_left(self.months, end) if end is not None else len(self.months)
        return self.running[high] - self.running[low] if high > low else 0


@dataclass(frozen=True)
class MonthTallies:
    """How a list's facets are read from monthly tallies: under date bounds on `date` (`after`
    and `before`, inclusive) and no other filter but `scope` (the records' court) and the ones
    that only show the page another way (`display`), every facet's counts are the sum of the whole
    months inside the bounds, for the records of the chosen scope (the court facet: of every
    scope), and the rulings of the days in a month the bounds cut, counted by a query when the
    tallies say there are any.

    The tallies of a scope's facets are built by one query on the first request that needs
    them, and kept in the process for the current data version: every first
    view of a court's rulings under new dates reads them instead of counting the rulings."""

    scope: str
    date: str
    after: str
    before: str
    display: frozenset[str]

    def applies(self, filterset: filters.TrackerFilterSet) -> bool:
        return only_filters(filterset, {self.scope, self.after, self.before, *self.display})


RULING_TALLIES = MonthTallies(
    scope="court",
    date="decided_on",
    after="decided_after",
    before="decided_before",
    display=frozenset({"all_courts", "sort"}),
)
# The tallies this process built for the current data version, each the facets of a list over
# one court or set of courts, or the courts' own: about 200 KB each at 300,000 rulings.
KEPT = KeptForVersion(limit=64)


def tally(specs: list[FacetSpec], records: QuerySet, date: str) -> dict[str, dict[str, Tally]]:
    """{facet name: {key: Tally}} of several facets over the same `records`, in one query (a
    UNION ALL of counts per key and month)."""
    parts = [_part(spec.count(records, month=date), "facet", "key", "month", "n") for spec in specs]
    per_month: dict[str, dict[str, dict[datetime.date, int]]] = {spec.name: {} for spec in specs}
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(sql for sql, _ in parts), [p for _, own in parts for p in own]
        )
        for facet, key, month, n in cursor.fetchall():
            months = per_month[facet].setdefault(key, {})
            day = as_date(month)
            months[day] = months.get(day, 0) + n
    return {
        name: {key: Tally(months) for key, months in keys.items()}
        for name, keys in per_month.items()
    }


def tallied(
    filterset: filters.TrackerFilterSet, specs: tuple[FacetSpec, ...], tallies: MonthTallies
) -> dict | None:
    """`counts()` from the monthly tallies, or None where they do not answer: outside a public
    page (no data version), with storing turned off, under other filters, without date bounds,
    or bounds holding no whole month."""
    version = filterset.data_version
    if version is None or not settings.PAGE_CACHE_SECONDS or not tallies.applies(filterset):
        return None
    by_name = {spec.name: spec for spec in specs}
    scope_spec = by_name.get(tallies.scope)
    if scope_spec is None or not scope_spec.partitions:
        return None  # the scope's own counts tell whether a cut month has records
    data = filterset.form.cleaned_data
    months = Months.of(data.get(tallies.after), data.get(tallies.before))
    if months is None or (months.first is None and months.end is None):
        # No whole month, or no bounds at all: counted once, the counts kept for the filters
        # (`counted`); only date bounds, which visitors vary, need the months.
        return None
    chosen = tuple(sorted(data.get(tallies.scope) or ()))
    # The scope's own facet counts the records of every scope; the others, of the chosen.
    by_scope: dict[tuple, list[FacetSpec]] = {}
    for spec in specs:
        by_scope.setdefault(() if spec is scope_spec else chosen, []).append(spec)

    def build(scope: tuple, group: list[FacetSpec]) -> dict[str, dict[str, Tally]]:
        records = filterset.queryset
        if scope:
            records = filterset.filters[tallies.scope].filter(records, list(scope))
        return tally(group, records, tallies.date)

    kept: dict[str, dict[str, Tally]] = {}
    for scope, group in by_scope.items():
        key = (type(filterset).__name__, scope, tuple(spec.name for spec in group))
        kept |= KEPT.get(version, key, lambda s=scope, g=group: build(s, g))

    first = months.first and _month_number(months.first)
    end = months.end and _month_number(months.end)
    found: dict[str, dict[str, int]] = {}
    for spec in specs:
        found[spec.name] = {
            key: n for key, one in kept[spec.name].items() if (n := one.within(first, end))
        }
    every_scope = kept[scope_spec.name].values()
    if any(one.between(*cut) for cut in months.cut_months() for one in every_scope):
        for name, more in counted(filterset, specs, narrow=months.cut(tallies.date)).items():
            for key, n in more.items():
                found[name][key] = found[name].get(key, 0) + n
    return found


def _link(params: QueryDict, **changes: str | None) -> str:
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return "?" + query.urlencode()


def court_facet(
    form: forms.Form,
    params: QueryDict,
    found: dict[str, int],
    noun: str,
    version: DataVersion | None,
) -> Facet:
    """The court choices of a valid `form` (fields `court` and `all_courts`), grouped by
    circuit, each with its count in `found`."""
    chosen = set(form.cleaned_data.get("court") or [])
    show_all = bool(form.cleaned_data.get("all_courts"))
    groups: dict[str, FacetGroup] = {}
    hidden = 0
    for pk, name, legend, option_id in court_facet_rows_now(version):
        count = found.get(pk, 0)
        if not (count or pk in chosen or show_all):
            hidden += 1
            continue
        option = FacetOption(pk, name, count, pk in chosen, option_id)
        groups.setdefault(legend, FacetGroup(legend, [])).options.append(option)
    field_ = form.fields["court"]
    return Facet(
        name="court",
        label=str(field_.label or "Court"),
        noun=noun,
        groups=list(groups.values()),
        multiple=True,
        hidden=hidden,
        show_all_url=_link(params, all_courts="true") if hidden else "",
        fewer_url=_link(params, all_courts=None) if show_all else "",
    )


def _choice_facet(
    filterset: filters.TrackerFilterSet, name: str, found: dict[str, int], noun: str
) -> Facet:
    field_ = filterset.form.fields[name]
    raw = filterset.data.getlist(name) if hasattr(filterset.data, "getlist") else []
    chosen = {str(value) for value in raw if value}
    options = []
    if isinstance(field_, filters.SlugField):
        rows = field_.rows(filterset.data_version)  # (slug, label, primary key)
        for slug, label, pk in rows:
            options.append(FacetOption(slug, label, found.get(str(pk), 0), slug in chosen))
    else:
        for value, label in field_.choices:
            if value in ("", None):
                continue
            options.append(FacetOption(str(value), str(label), found.get(str(value), 0), False))
            options[-1].selected = str(value) in chosen
    for index, option in enumerate(options):
        option.id = f"id_{name}_{index}"
    return Facet(
        name=name,
        label=str(field_.label or name),
        noun=noun,
        groups=[FacetGroup("", options)],
        multiple=bool(getattr(field_.widget, "allow_multiple_selected", False)),
        empty_label="Any",
    )


def facets_for(
    filterset: filters.TrackerFilterSet,
    params: QueryDict,
    specs: tuple[FacetSpec, ...],
    tallies: MonthTallies | None = None,
) -> tuple[dict[str, Facet], int | None]:
    """The facets of a valid filterset's form, by field name, and the number of records the
    list shows if the counts tell it (`listed_total`)."""
    found = counts(filterset, specs, tallies)
    facets = {}
    for spec in specs:
        if spec.name == "court":
            facets["court"] = court_facet(
                filterset.form, params, found["court"], spec.noun, filterset.data_version
            )
        else:
            facets[spec.name] = _choice_facet(filterset, spec.name, found[spec.name], spec.noun)
    return facets, listed_total(filterset, specs, found)


RULING_FACETS = (
    FacetSpec(
        "court",
        by_column("court", "court_id"),
        "matching rulings",
        partitions=True,
        stored=court_months,
    ),
    few_values("kind", "kind", "matching rulings"),
    few_values("outcome", "outcome", "matching rulings"),
    few_values("scope", "scope", "matching rulings"),
    FacetSpec(
        "policy",
        through("policy", RulingEffect, "ruling", "policy_id", **filters.PUBLIC_POLICY),
        "matching rulings",
    ),
    FacetSpec(
        "program",
        through("program", RulingEffect, "ruling", "policy__programs", **filters.PUBLIC_POLICY),
        "matching rulings",
    ),
)
LAWSUIT_FACETS = (
    FacetSpec("court", by_column("court", "court_id"), "matching lawsuits", partitions=True),
    few_values("status", "status", "matching lawsuits"),
    FacetSpec(
        "policy",
        through(
            "policy", Lawsuit.policies.through, "lawsuit", "policy_id", **filters.PUBLIC_POLICY
        ),
        "matching lawsuits",
    ),
    FacetSpec(
        "program",
        through(
            "program",
            Lawsuit.policies.through,
            "lawsuit",
            "policy__programs",
            **filters.PUBLIC_POLICY,
        ),
        "matching lawsuits",
    ),
)
