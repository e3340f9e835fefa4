"""Facets: each choice of a list's filter form with the number of matching records it would give,
under the other filters now applied (the rulings in each court among those of the chosen kind,
say), read in one grouped query whatever the size of the data.

Court choices come grouped by circuit; courts with no match are left out unless chosen, and
`all_courts=true` (the "show all courts" link) lists every court, so none is out of reach.
Kinds, outcomes, statuses, policies and programs keep every choice, each with its count.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db import connection
from django.db.models import CharField, Count, Expression, Model, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat
from django.http import QueryDict

from cases import filters
from cases.caching import DataVersion, until_next_change
from cases.models import Lawsuit, RulingEffect, RulingMonthCount
from cases.selectors import court_directory_now

# A count query: given the list's records filtered by every filter but the facet's own, the
# rows (facet, key, n) of this facet.
Counter = Callable[[QuerySet], QuerySet]


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
    Sum("rulings") adds up rows that are counts themselves)."""

    def count(records: QuerySet) -> QuerySet:
        return (
            records.order_by()
            .annotate(facet=Value(name, output_field=CharField()), key=Cast(column, CharField()))
            .values("facet", "key")
            .annotate(n=n or Count("pk"))
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

    def __call__(self, records: QuerySet) -> QuerySet:
        return (
            self.links(records)
            .filter(**{f"{self.key}__isnull": False})
            .annotate(
                facet=Value(self.name, output_field=CharField()), key=Cast(self.key, CharField())
            )
            .values("facet", "key")
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


# The filters under which the court facet of the rulings can be read from the stored counts of
# each court's published rulings per month (RulingMonthCount): the court's own, how the page is
# shown, and date bounds.
MONTH_COUNT_FILTERS = {"court", "all_courts", "sort", "decided_after", "decided_before"}


def court_months(filterset: filters.TrackerFilterSet, records: QuerySet) -> list[QuerySet] | None:
    """The rulings per court under date bounds alone, from the stored counts (PostgreSQL): the
    months inside the bounds summed, and the rulings of the months the bounds cut counted."""
    if connection.vendor != "postgresql":  # SQLite keeps no counts
        return None
    data = filterset.form.cleaned_data
    if any(
        value not in (None, "", [], False)
        for name, value in data.items()
        if name not in MONTH_COUNT_FILTERS
    ):
        return None
    after, before = data.get("decided_after"), data.get("decided_before")
    # The whole months inside the bounds: from `first` on, before `end`.
    first = after and _month_start(after, later=0 if after.day == 1 else 1)
    end = None
    if before and before < datetime.date.max:
        end = _month_start(before + datetime.timedelta(days=1))
    if (after and first is None) or (first and end and first >= end):
        return None  # no whole month: the rulings are few, count them
    months = RulingMonthCount.objects.all()
    if first:
        months = months.filter(month__gte=first)
    if end:
        months = months.filter(month__lt=end)
    queries = [by_column("court", "court_id", n=Sum("rulings"))(months)]
    cut = Q()
    if after and first != after:
        cut |= Q(decided_on__lt=first)
    if end and end <= before:
        cut |= Q(decided_on__gte=end)
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


def _same(records: QuerySet) -> tuple[str, str]:
    """What two querysets of the same records have in common: their SQL and parameters."""
    sql, params = records.query.sql_with_params()
    return sql, repr(params)


def counts(filterset: filters.TrackerFilterSet, specs: tuple[FacetSpec, ...]) -> dict:
    """{facet name: {key: count}} for every spec, in one query (a UNION ALL of grouped counts).

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
        stored = spec.stored(filterset, records) if spec.stored else None
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
            cte, cte_params, counted = links_together(counters, records, f"links{len(ctes)}")
            ctes.append(cte)
            params += cte_params
            parts += counted
    for query in queries:
        sql, own = query.query.sql_with_params()
        parts.append((f'SELECT "facet", "key", "n" FROM ({sql}) AS part', own))
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
    directory = court_directory_now(version)
    names = {court["id"]: court["name"] for court in directory}
    groups: dict[str, FacetGroup] = {}
    hidden = 0
    for court in directory:
        count = found.get(court["id"], 0)
        if not (count or court["id"] in chosen or show_all):
            hidden += 1
            continue
        circuit = court["circuit"]
        if court["level"] == "supreme":
            legend = "Supreme Court"
        elif circuit:
            legend = names.get(circuit, circuit).removeprefix("Court of Appeals for the ")
        else:
            legend = "Other courts"
        option = FacetOption(
            court["id"], court["name"], count, court["id"] in chosen, f"id_court_{court['id']}"
        )
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
    filterset: filters.TrackerFilterSet, params: QueryDict, specs: tuple[FacetSpec, ...]
) -> tuple[dict[str, Facet], int | None]:
    """The facets of a valid filterset's form, by field name, and the number of records the
    list shows if the counts tell it (`listed_total`)."""
    found = counts(filterset, specs)
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
