"""Public pages: a list and a detail page for each kind of record, and the dashboard.

Every list answers `format=csv` and `format=json` with the whole filtered result, through the
same FilterSet as the page. Invalid parameters answer 400 with the error, never a silent
fallback to the unfiltered list.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from cases import exports, facets, filters, status
from cases.caching import request_version
from cases.circuits import circuits_for
from cases.listing import ListPage, as_of_param, bad_as_of
from cases.models import (
    Court,
    CourtLevel,
    DatePrecision,
    FundingProgram,
    Jurisdiction,
    Lawsuit,
    Ruling,
    RulingEffect,
)
from cases.selectors import (
    court_ruling_count,
    published_lawsuits,
    published_policies,
    published_rulings,
)
from cases.tables import (
    lawsuits_for_table,
    ruling_table_rows,
    rulings_for_table,
)

DETAIL_LIMIT = 50


# --- Lists --------------------------------------------------------------------------------------


RULING_LIST = ListPage(
    filterset=filters.RulingFilter,
    queryset=published_rulings,
    template="cases/ruling_list.html",
    export=exports.RULING_EXPORT,
    rows=lambda qs, filterset: qs.values_list("id", flat=True),  # the rows: ruling_table_rows
    decorate=lambda rows, request: ruling_table_rows(rows, request_version(request)),
    facets=facets.RULING_FACETS,
    tallies=facets.RULING_TALLIES,
    title="Rulings",
)
LAWSUIT_LIST = ListPage(
    filterset=filters.LawsuitFilter,
    queryset=published_lawsuits,
    template="cases/lawsuit_list.html",
    export=exports.LAWSUIT_EXPORT,
    rows=lambda qs, filterset: lawsuits_for_table(qs),
    facets=facets.LAWSUIT_FACETS,
    title="Lawsuits",
)
POLICY_LIST = ListPage(
    filterset=filters.PolicyFilter,
    queryset=published_policies,
    template="cases/policy_list.html",
    export=exports.POLICY_EXPORT,
    rows=lambda qs, filterset: status.with_status(
        qs.prefetch_related("programs").annotate(
            lawsuit_count=Count("lawsuits", filter=Q(lawsuits__publication_state="published"))
        ),
        filterset.as_of_date,
    ),
    title="Policies",
)
PROGRAM_LIST = ListPage(
    filterset=filters.ProgramFilter,
    queryset=FundingProgram.objects.all,
    template="cases/program_list.html",
    export=exports.PROGRAM_EXPORT,
    rows=lambda qs, filterset: qs.prefetch_related(
        Prefetch("policies", queryset=published_policies().order_by("issued_on", "slug"))
    ),
    title="Funding programs",
)
COURT_LIST = ListPage(
    filterset=filters.CourtListFilter,
    queryset=Court.objects.all,
    template="cases/court_list.html",
    export=exports.COURT_EXPORT,
    rows=lambda qs, filterset: qs.select_related("appeals_to").annotate(
        ruling_count=court_ruling_count()
    ),
    title="Courts",
)
JURISDICTION_LIST = ListPage(
    filterset=filters.JurisdictionFilter,
    queryset=Jurisdiction.objects.all,
    template="cases/jurisdiction_list.html",
    export=exports.JURISDICTION_EXPORT,
    rows=lambda qs, filterset: qs.prefetch_related(
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
        "lawsuits": lawsuits_for_table(ruling.lawsuits.published().order_by("filed_on", "slug")),
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
    rulings = rulings_for_table(
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
        as_of = as_of_param(request)
    except ValueError:
        return bad_as_of(request)
    rulings = rulings_for_table(
        published_rulings().filter(effects__policy=policy).order_by("-decided_on", "-pk")
    )
    lawsuits = lawsuits_for_table(policy.lawsuits.published().order_by("filed_on", "slug"))
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
    # The 13 circuits' holdings and who is protected in each, from the status above.
    context["circuits"] = circuits_for([context["status"]], request_version(request))[0]
    return render(request, "cases/policy_detail.html", context)


@require_safe
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_object_or_404(FundingProgram, slug=slug)
    policies = program.policies.published().order_by("issued_on", "slug")
    lawsuits = lawsuits_for_table(
        published_lawsuits().filter(policies__in=policies).distinct().order_by("filed_on", "slug")
    )
    rulings = rulings_for_table(
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
    rulings = rulings_for_table(
        published_rulings().filter(court=court).order_by("-decided_on", "-pk")
    )
    lawsuits = lawsuits_for_table(
        published_lawsuits().filter(court=court).order_by("-filed_on", "slug")
    )
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
        "lawsuits": lawsuits_for_table(
            jurisdiction.lawsuits.published().order_by("filed_on", "slug")
        ),
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
