"""Public pages: a list and a detail page for each kind of record, and the dashboard.

Every list answers `format=csv` and `format=json` with the whole filtered result, through the
same FilterSet as the page. Invalid parameters answer 400 with the error, never a silent
fallback to the unfiltered list.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from cases import exports, filters, status
from cases.caching import request_version
from cases.models import (
    Court,
    CourtLevel,
    DatePrecision,
    Effect,
    FundingProgram,
    Jurisdiction,
    Lawsuit,
    Policy,
    PublicationState,
    Ruling,
    RulingEffect,
    record_url,
)
from cases.status_today import statuses_today

PAGE_SIZE = 50
DETAIL_LIMIT = 50
MAX_PARAMETER_LENGTH = 500
EXPORT_FORMATS = {"csv", "json"}


# --- Querysets the public may see ------------------------------------------------------------


def published_rulings() -> QuerySet[Ruling]:
    return Ruling.objects.published()


def published_lawsuits() -> QuerySet[Lawsuit]:
    return Lawsuit.objects.published()


def published_policies() -> QuerySet[Policy]:
    return Policy.objects.published()


def ruling_rows(queryset: QuerySet[Ruling]) -> QuerySet[Ruling]:
    """Rulings with their court, for a table (`ruling_table_rows` makes the table's rows)."""
    return queryset.select_related("court")


@dataclass(frozen=True)
class RowLink:
    """A related record as a table cell shows it: a label linked to the record's page."""

    url: str
    label: str
    note: str = ""  # shown before the link, e.g. what a ruling did to the policy


@dataclass(slots=True)
class RulingRow:
    """A ruling as a rulings table shows it (includes/ruling_table.html)."""

    pk: int
    decided_on: datetime.date
    kind: str
    outcome: str
    scope: str
    citation: str
    court_id: str
    court_label: str
    # Its published lawsuits, and what it did to each published policy.
    case_links: list[RowLink] = dataclasses.field(default_factory=list)
    policy_links: list[RowLink] = dataclasses.field(default_factory=list)

    def get_absolute_url(self) -> str:
        return record_url("cases:ruling-detail", "pk", self.pk)

    @classmethod
    def of(cls, ruling: Ruling) -> RulingRow:
        return cls(
            ruling.pk,
            ruling.decided_on,
            ruling.kind,
            ruling.outcome,
            ruling.scope,
            ruling.citation,
            ruling.court_id,
            ruling.court.citation_string,
        )


# The values a RulingRow is made of, in its order: the rulings list reads only these, as
# tuples (no model instances; a ruling's summary may run to paragraphs).
RULING_ROW_VALUES = (
    "id",
    "decided_on",
    "kind",
    "outcome",
    "scope",
    "citation",
    "court_id",
    "court__citation_string",
)


def ruling_table_rows(rulings: Iterable[Ruling | tuple]) -> list[RulingRow]:
    """The rows of a rulings table, from rulings (with their court) or from tuples of
    RULING_ROW_VALUES, each given its cases and what it did to each published policy.

    One query whatever the number of rows, written as SQL: the two ORM queries it replaces
    (their 50-value `IN` lists prepared value by value) cost a list page more than all its other
    queries together. No model instances are built for the related records."""
    rows = [RulingRow(*r) if isinstance(r, tuple) else RulingRow.of(r) for r in rulings]
    by_pk = {row.pk: row for row in rows}
    if not by_pk:
        return rows
    if connection.vendor == "postgresql":
        # One array parameter: planned in a fraction of the time of a 50-value IN list.
        ids, id_params = "= ANY(%s)", [list(by_pk)]
    else:
        ids, id_params = f"IN ({', '.join(['%s'] * len(by_pk))})", list(by_pk)
    sql = f"""
        SELECT link.ruling_id, 0, lawsuit.filed_on, lawsuit.slug, lawsuit.caption, ''
          FROM {Ruling.lawsuits.through._meta.db_table} link
          JOIN {Lawsuit._meta.db_table} lawsuit ON lawsuit.id = link.lawsuit_id
         WHERE link.ruling_id {ids} AND lawsuit.publication_state = %s
        UNION ALL
        SELECT effect.ruling_id, 1, policy.issued_on, policy.slug, policy.short_title,
               effect.effect
          FROM {RulingEffect._meta.db_table} effect
          JOIN {Policy._meta.db_table} policy ON policy.id = effect.policy_id
         WHERE effect.ruling_id {ids} AND policy.publication_state = %s
        ORDER BY 2, 3, 4
    """
    published = PublicationState.PUBLISHED.value
    params = [*id_params, published, *id_params, published]
    labels = dict(Effect.choices)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for ruling_id, part, _, slug, title, effect in cursor.fetchall():
            row = by_pk[ruling_id]
            if part == 0:
                url = record_url("cases:lawsuit-detail", "slug", slug)
                row.case_links.append(RowLink(url, title))
            else:
                url = record_url("cases:policy-detail", "slug", slug)
                row.policy_links.append(RowLink(url, title, labels.get(effect, effect)))
    return rows


def lawsuit_rows(queryset: QuerySet[Lawsuit]) -> QuerySet[Lawsuit]:
    return queryset.select_related("court").prefetch_related(
        "plaintiffs",
        Prefetch("policies", queryset=published_policies().order_by("issued_on", "slug")),
    )


# --- The list machinery -------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    filterset: type[filters.TrackerFilterSet]
    queryset: Any  # a callable returning the base queryset
    template: str
    export: exports.ExportSpec
    rows: Any = None  # a callable adding what the page's rows display
    title: str = ""
    decorate: Any = None  # given the page's rows as a list and the request: the rows shown

    def as_view(self):
        @require_safe
        def view(request: HttpRequest) -> HttpResponse:
            return _list_view(request, self)

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


def _unusable_parameter(request: HttpRequest) -> str | None:
    """Why the query string cannot be used at all (before any filter sees it), if it can't."""
    for key, values in request.GET.lists():
        for value in [key, *values]:
            if "\x00" in value:
                return "Parameters may not contain NUL characters."
            if len(value) > MAX_PARAMETER_LENGTH:
                return f"Parameter values are limited to {MAX_PARAMETER_LENGTH} characters."
    return None


def _page_number(request: HttpRequest) -> int | None:
    raw = request.GET.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:  # "²".isdigit() is True
        return None
    return int(raw)


def _active_filters(filterset: filters.TrackerFilterSet, params: QueryDict) -> list[dict]:
    """Each filter value in force, with a link that removes just that value."""
    active = []
    form = filterset.form
    for name, field in form.fields.items():
        if name == "sort":
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
            remaining = params.copy()
            remaining.setlist(name, [v for v in params.getlist(name) if v != raw])
            remaining.pop("page", None)
            active.append(
                {"name": field.label or name, "value": label, "remove": remaining.urlencode()}
            )
    return active


def _list_view(request: HttpRequest, page: ListPage) -> HttpResponse:
    fmt = request.GET.get("format", "html")
    if fmt not in EXPORT_FORMATS | {"html"}:
        return HttpResponseBadRequest(
            "format must be csv, json or html.\n", content_type="text/plain; charset=utf-8"
        )
    unusable = _unusable_parameter(request)
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
        )

    context: dict[str, Any] = {
        "filter": filterset,
        "title": page.title,
        "export_name": page.export.name,
        "active_filters": _active_filters(filterset, params) if valid else [],
    }
    if not valid:
        context.update(invalid=True, page_error=unusable)
        return render(request, page.template, context, status=400)

    number = _page_number(request)
    if number is None:
        context["invalid"] = True
        context["page_error"] = "page must be a whole number of 1 or more."
        return render(request, page.template, context, status=400)
    queryset = filterset.qs
    paginator = CountingPaginator(page.rows(queryset) if page.rows else queryset, queryset)
    try:
        page_obj = paginator.page(number)
    except EmptyPage:
        raise Http404("No such page.") from None
    rows = list(page_obj.object_list)
    if page.decorate:
        rows = page.decorate(rows, request)
    context.update(page_obj=page_obj, rows=rows, count=paginator.count)
    return render(request, page.template, context)


def _attach_statuses(policies: list[Policy], request: HttpRequest) -> list[Policy]:
    as_of = _as_of(request)  # already checked by the list's filter form
    if as_of is None:
        statuses = statuses_today(policies, request_version(request))
    else:
        statuses = status.summaries_for(policies, as_of)
    for policy in policies:
        policy.status = statuses[policy.pk]
    return policies


RULING_LIST = ListPage(
    filterset=filters.RulingFilter,
    queryset=published_rulings,
    template="cases/ruling_list.html",
    export=exports.RULING_EXPORT,
    rows=lambda qs: qs.values_list(*RULING_ROW_VALUES),
    decorate=lambda rows, request: ruling_table_rows(rows),
    title="Rulings",
)
LAWSUIT_LIST = ListPage(
    filterset=filters.LawsuitFilter,
    queryset=published_lawsuits,
    template="cases/lawsuit_list.html",
    export=exports.LAWSUIT_EXPORT,
    rows=lawsuit_rows,
    title="Lawsuits",
)
POLICY_LIST = ListPage(
    filterset=filters.PolicyFilter,
    queryset=published_policies,
    template="cases/policy_list.html",
    export=exports.POLICY_EXPORT,
    decorate=_attach_statuses,
    rows=lambda qs: qs.prefetch_related("programs").annotate(
        lawsuit_count=Count("lawsuits", filter=Q(lawsuits__publication_state="published"))
    ),
    title="Policies",
)
PROGRAM_LIST = ListPage(
    filterset=filters.ProgramFilter,
    queryset=FundingProgram.objects.all,
    template="cases/program_list.html",
    export=exports.PROGRAM_EXPORT,
    rows=lambda qs: qs.prefetch_related(
        Prefetch("policies", queryset=published_policies().order_by("issued_on", "slug"))
    ),
    title="Funding programs",
)
COURT_LIST = ListPage(
    filterset=filters.CourtListFilter,
    queryset=Court.objects.all,
    template="cases/court_list.html",
    export=exports.COURT_EXPORT,
    rows=lambda qs: qs.select_related("appeals_to").annotate(
        ruling_count=Count("rulings", filter=Q(rulings__publication_state="published"))
    ),
    title="Courts",
)
JURISDICTION_LIST = ListPage(
    filterset=filters.JurisdictionFilter,
    queryset=Jurisdiction.objects.all,
    template="cases/jurisdiction_list.html",
    export=exports.JURISDICTION_EXPORT,
    rows=lambda qs: qs.prefetch_related(
        Prefetch("lawsuits", queryset=published_lawsuits().order_by("filed_on", "slug"))
    ),
    title="Jurisdictions",
)


ruling_list = RULING_LIST.as_view()
lawsuit_list = LAWSUIT_LIST.as_view()
policy_list = POLICY_LIST.as_view()
program_list = PROGRAM_LIST.as_view()
court_list = COURT_LIST.as_view()
jurisdiction_list = JURISDICTION_LIST.as_view()


def _as_of(request: HttpRequest) -> datetime.date | None:
    """The `as_of` date a page is asked about (YYYY-MM-DD), or None for today.

    Raises ValueError for anything else (`2017-1-1`, `2017-W01-1`, a second value).
    """
    form = filters.AsOfForm(request.GET)
    if len(request.GET.getlist("as_of")) > 1 or not form.is_valid():
        raise ValueError(request.GET.get("as_of"))
    return form.cleaned_data["as_of"]


def _bad_as_of(request: HttpRequest) -> HttpResponse:
    """400: the page's `as_of` form with its error, to correct the date there."""
    form = filters.AsOfForm(request.GET)
    if form.is_valid():  # valid alone, but given more than once
        form.add_error("as_of", "Give one date only.")
    return render(request, "cases/as_of_error.html", {"form": form}, status=400)


# --- Detail pages -------------------------------------------------------------------------------


@require_safe
def ruling_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ruling = get_object_or_404(
        published_rulings().select_related("court", "court__appeals_to"), pk=pk
    )
    reviews = (
        published_rulings().select_related("court").filter(pk=ruling.reviews_id).first()
        if ruling.reviews_id
        else None
    )
    context = {
        "ruling": ruling,
        "lawsuits": lawsuit_rows(ruling.lawsuits.published().order_by("filed_on", "slug")),
        "reviews": reviews,
        "reviewed_by": published_rulings()
        .filter(reviews=ruling)
        .select_related("court")
        .order_by("decided_on", "pk"),
        "effects": ruling.effects.filter(policy__in=published_policies())
        .select_related("policy")
        .prefetch_related("protected")
        .order_by("policy__issued_on", "policy__slug"),
        "grounds": ruling.grounds.all(),
        "sources": ruling.sources.all(),
    }
    return render(request, "cases/ruling_detail.html", context)


def appeal_chains(rulings: list[Ruling]) -> list[list[Ruling]]:
    """The rulings as paths through the courts: each chain starts at a ruling that reviews
    none of the others and follows, in date order, the rulings that review it (district ->
    circuit -> en banc -> Supreme Court). A ruling reviewed twice starts a branch of its own."""
    by_id = {ruling.pk: ruling for ruling in rulings}
    reviewers: dict[int, list[Ruling]] = {}
    for ruling in rulings:
        if ruling.reviews_id in by_id:
            reviewers.setdefault(ruling.reviews_id, []).append(ruling)
    chains: list[list[Ruling]] = []

    def walk(chain: list[Ruling]) -> None:
        later = reviewers.get(chain[-1].pk, [])
        if not later:
            chains.append(chain)
        for index, reviewer in enumerate(later):
            walk([*chain, reviewer] if index == 0 else [chain[-1], reviewer])

    for ruling in rulings:
        if ruling.reviews_id not in by_id:
            walk([ruling])
    return [chain for chain in chains if len(chain) > 1]


@require_safe
def lawsuit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lawsuit = get_object_or_404(published_lawsuits().select_related("court"), slug=slug)
    rulings = ruling_rows(
        published_rulings().filter(lawsuits=lawsuit).order_by("decided_on", "pk")
    ).select_related("reviews", "reviews__court")
    rulings = list(rulings)
    context = {
        "lawsuit": lawsuit,
        "rulings": ruling_table_rows(rulings),
        "chains": appeal_chains(rulings),
        "plaintiffs": lawsuit.plaintiffs.all(),
        "policies": lawsuit.policies.published().order_by("issued_on", "slug"),
        "related": lawsuit.related.published().select_related("court").order_by("filed_on"),
        "sources": lawsuit.sources.all(),
        "defendants": [line.strip() for line in lawsuit.defendants.splitlines() if line.strip()],
    }
    return render(request, "cases/lawsuit_detail.html", context)


def _filing(lawsuit: Lawsuit, as_of: datetime.date) -> str | None:
    """'not yet filed (...)', or 'filed in Aug 2018 (...)' where the record cannot tell whether
    the suit was filed by `as_of`; None where it surely was."""
    filed, precision = lawsuit.filed_on, lawsuit.filed_on_precision
    if precision == DatePrecision.YEAR:
        last, shown = datetime.date(filed.year, 12, 31), f"{filed:%Y}"
    elif precision == DatePrecision.MONTH:
        following = (filed.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        last, shown = following - datetime.timedelta(days=1), f"{filed:%b %Y}"
    else:
        last, shown = filed, status.format_day(filed)
    if as_of < filed:
        return f"not yet filed (filed {shown})"
    if as_of < last:
        return f"filed in {shown} (the record has no day, so perhaps not yet by this date)"
    return None


def lawsuit_stages(lawsuits: list[Lawsuit], as_of: datetime.date) -> list[tuple[Lawsuit, str]]:
    """Where each lawsuit stood on `as_of`, from what the record shows on that day: filed or not
    yet, and its latest published ruling by then (one query). A lawsuit's recorded status
    ("on appeal", "closed") is today's and is not carried back."""
    latest: dict[int, Ruling] = {}
    for ruling in (
        published_rulings()
        .filter(lawsuits__in=lawsuits, decided_on__lte=as_of)
        .select_related("court")
        .annotate(lawsuit_id=F("lawsuits"))
        .order_by("decided_on", "pk")
    ):
        latest[ruling.lawsuit_id] = ruling
    stages = []
    for lawsuit in lawsuits:
        filing = _filing(lawsuit, as_of)
        if filing and filing.startswith("not yet"):
            stages.append((lawsuit, filing))
            continue
        stage = filing or "filed"
        ruling = latest.get(lawsuit.pk)
        if ruling is None:
            stage += "; no ruling yet"
        else:
            stage += (
                f"; the latest ruling by then: {ruling.court.citation_string}, "
                f"{status.format_day(ruling.decided_on)}, {ruling.get_kind_display().lower()} "
                f"({ruling.get_outcome_display().lower()})"
            )
        stages.append((lawsuit, stage))
    return stages


@require_safe
def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(published_policies().select_related("parent"), slug=slug)
    try:
        as_of = _as_of(request)
    except ValueError:
        return _bad_as_of(request)
    rulings = ruling_rows(
        published_rulings().filter(effects__policy=policy).order_by("-decided_on", "-pk")
    )
    lawsuits = lawsuit_rows(policy.lawsuits.published().order_by("filed_on", "slug"))
    shown = list(lawsuits[:DETAIL_LIMIT])
    context = {
        "policy": policy,
        "status": status.policy_status(policy, as_of),
        "as_of_asked": as_of,
        "parent": policy.parent if policy.parent and policy.parent.is_published else None,
        "children": policy.children.published().order_by("issued_on", "slug"),
        "programs": policy.programs.all(),
        "targets": policy.targets.all(),
        "lawsuits": shown,
        "lawsuit_count": len(shown) if len(shown) < DETAIL_LIMIT else lawsuits.count(),
        "lawsuit_stages": lawsuit_stages(shown, as_of) if as_of else None,
        "rulings": ruling_table_rows(rulings[:DETAIL_LIMIT]),
        "ruling_count": rulings.count(),
        "sources": policy.sources.all(),
    }
    return render(request, "cases/policy_detail.html", context)


@require_safe
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_object_or_404(FundingProgram, slug=slug)
    policies = program.policies.published().order_by("issued_on", "slug")
    lawsuits = lawsuit_rows(
        published_lawsuits().filter(policies__in=policies).distinct().order_by("filed_on", "slug")
    )
    rulings = ruling_rows(
        published_rulings()
        .filter(pk__in=RulingEffect.objects.filter(policy__in=policies).values("ruling"))
        .order_by("-decided_on", "-pk")
    )
    context = {
        "program": program,
        "policies": policies,
        "lawsuits": lawsuits[:DETAIL_LIMIT],
        "lawsuit_count": lawsuits.count(),
        "rulings": ruling_table_rows(rulings[:DETAIL_LIMIT]),
        "ruling_count": rulings.count(),
        "sources": program.sources.all(),
    }
    return render(request, "cases/program_detail.html", context)


@require_safe
def court_detail(request: HttpRequest, pk: str) -> HttpResponse:
    court = get_object_or_404(Court.objects.select_related("appeals_to"), pk=pk)
    rulings = ruling_rows(published_rulings().filter(court=court).order_by("-decided_on", "-pk"))
    lawsuits = lawsuit_rows(published_lawsuits().filter(court=court).order_by("-filed_on", "slug"))
    context = {
        "court": court,
        "lower_courts": court.hears_appeals_from.order_by("name")
        if court.level in (CourtLevel.APPELLATE, CourtLevel.SUPREME)
        else None,
        "rulings": ruling_table_rows(rulings[:DETAIL_LIMIT]),
        "ruling_count": rulings.count(),
        "lawsuits": lawsuits[:DETAIL_LIMIT],
        "lawsuit_count": lawsuits.count(),
    }
    return render(request, "cases/court_detail.html", context)


@require_safe
def jurisdiction_detail(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = get_object_or_404(Jurisdiction, slug=slug)
    context = {
        "jurisdiction": jurisdiction,
        "lawsuits": lawsuit_rows(jurisdiction.lawsuits.published().order_by("filed_on", "slug")),
        "named_by": jurisdiction.targeted_by.published().order_by("issued_on", "slug"),
        "protecting": RulingEffect.objects.filter(
            protected=jurisdiction,
            ruling__in=published_rulings(),
            policy__in=published_policies(),
        )
        .select_related("ruling", "ruling__court", "policy")
        .order_by("ruling__decided_on", "ruling__pk"),
        "sources": jurisdiction.sources.all(),
    }
    return render(request, "cases/jurisdiction_detail.html", context)
