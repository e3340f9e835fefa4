"""The dashboard at /: where each policy stands, the latest rulings, counts, the rulings by court
and outcome (an inline SVG bar chart with a table of the same numbers) and when the data last
changed. `?as_of=YYYY-MM-DD` shows the statuses and the chart as they stood on that day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from cases import status
from cases.caching import request_version
from cases.circuits import circuits_for
from cases.listing import as_of_param, bad_as_of
from cases.models import CourtLevel, RulingOutcome
from cases.selectors import (
    circuit_order,
    published_lawsuits,
    published_policies,
    published_rulings,
)
from cases.status_today import statuses_today
from cases.tables import ruling_table_rows, rulings_for_table

# Outcomes in the order the bars stack them: the two sides at the ends, the rest between.
OUTCOMES = (
    RulingOutcome.CHALLENGERS,
    RulingOutcome.MIXED,
    RulingOutcome.PROCEDURAL,
    RulingOutcome.GOVERNMENT,
)
# Fill colours (SVG presentation attributes, so the chart needs no inline style); the same
# colours as the stylesheet's --for, --mixed and --against, and a grey that keeps 3:1 on white.
FILLS = {
    RulingOutcome.CHALLENGERS: "#1d6b2f",
    RulingOutcome.MIXED: "#b07d00",
    RulingOutcome.PROCEDURAL: "#767676",
    RulingOutcome.GOVERNMENT: "#9b1c1c",
}
LEVEL_ORDER = {
    CourtLevel.SUPREME: 0,
    CourtLevel.APPELLATE: 1,
    CourtLevel.DISTRICT: 2,
    CourtLevel.SPECIAL: 3,
}

# Chart geometry, in viewBox units (the SVG scales to its container's width).
CHART_WIDTH = 480
LABEL_WIDTH = 96  # court abbreviations, right-aligned before the bars
TOTAL_WIDTH = 36  # the total after each bar
BAR_HEIGHT = 20
ROW_HEIGHT = 28
TOP = 8


@dataclass
class Segment:
    outcome: str
    label: str
    count: int
    x: float
    width: float
    fill: str
    rulings_url: str


@dataclass
class CourtRow:
    court_id: str
    name: str
    citation: str
    total: int
    counts: dict[str, int]
    rulings_url: str
    segments: list[Segment] = field(default_factory=list)
    y: int = 0

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT // 2 + 5

    @property
    def end_x(self) -> float:
        """Where the total is written: just after the bar."""
        last = self.segments[-1] if self.segments else None
        return (last.x + last.width if last else LABEL_WIDTH) + 4

    @property
    def cells(self) -> list[Segment]:
        """The four outcomes in table order, whatever their count."""
        by_outcome = {s.outcome: s for s in self.segments}
        return [by_outcome[o] for o in OUTCOMES]


@dataclass
class Chart:
    rows: list[CourtRow]
    totals: list[Segment]
    total: int
    height: int
    label_x: int = LABEL_WIDTH - 6
    width: int = CHART_WIDTH
    bar_height: int = BAR_HEIGHT
    legend: list[tuple[str, str, str]] = field(default_factory=list)


def _court_order(row: dict) -> tuple:
    """Supreme Court, then the circuits in number order (1st ... 11th, D.C., Federal), then the
    trial courts by name."""
    level = LEVEL_ORDER.get(row["court__level"], len(LEVEL_ORDER))
    if row["court__level"] == CourtLevel.APPELLATE:
        return (level, *circuit_order(row["court_id"], row["court__name"]))
    return (level, 0, row["court__name"])


def _rulings_url(**params: str) -> str:
    return reverse("cases:ruling-list") + ("?" + urlencode(params) if params else "")


def rulings_by_court(rulings: QuerySet, as_of: datetime.date | None = None) -> Chart:
    """Counts of `rulings` per court and outcome (one query), laid out as a bar chart.

    With `as_of`, only rulings decided on or before it count, and every link carries
    `decided_before` so the list it opens holds the counted rulings.
    """
    if as_of is not None:
        rulings = rulings.filter(decided_on__lte=as_of)
    extra = {"decided_before": as_of.isoformat()} if as_of else {}
    counts = {o.value: Count("pk", filter=Q(outcome=o.value)) for o in OUTCOMES}
    grouped = (
        rulings.order_by()
        .values("court_id", "court__name", "court__citation_string", "court__level")
        .annotate(total=Count("pk"), **counts)
    )
    rows = sorted(grouped, key=_court_order)
    most = max((r["total"] for r in rows), default=0) or 1
    scale = (CHART_WIDTH - LABEL_WIDTH - TOTAL_WIDTH) / most
    labels = dict(RulingOutcome.choices)

    court_rows = []
    for index, row in enumerate(rows):
        court = row["court_id"]
        court_row = CourtRow(
            court_id=court,
            name=row["court__name"],
            citation=row["court__citation_string"],
            total=row["total"],
            counts={o.value: row[o.value] for o in OUTCOMES},
            rulings_url=_rulings_url(court=court, **extra),
            y=TOP + index * ROW_HEIGHT,
        )
        x = float(LABEL_WIDTH)
        for outcome in OUTCOMES:
            count = row[outcome.value]
            court_row.segments.append(
                Segment(
                    outcome=outcome.value,
                    label=labels[outcome.value],
                    count=count,
                    x=round(x, 2),
                    width=round(count * scale, 2),
                    fill=FILLS[outcome],
                    rulings_url=_rulings_url(court=court, outcome=outcome.value, **extra),
                )
            )
            x += count * scale
        court_rows.append(court_row)

    totals = [
        Segment(
            outcome=o.value,
            label=labels[o.value],
            count=sum(r.counts[o.value] for r in court_rows),
            x=0,
            width=0,
            fill=FILLS[o],
            rulings_url=_rulings_url(outcome=o.value, **extra),
        )
        for o in OUTCOMES
    ]
    return Chart(
        rows=court_rows,
        totals=totals,
        total=sum(r.total for r in court_rows),
        height=TOP * 2 + max(len(court_rows), 1) * ROW_HEIGHT,
        legend=[(o.value, labels[o.value], FILLS[o]) for o in OUTCOMES],
    )


def counts_and_last_changed(
    as_of: datetime.date | None = None,
) -> tuple[dict[str, int], datetime.datetime | None]:
    """How many policies, lawsuits and rulings are published, and when the public data last
    changed, in three aggregate queries (one per model).

    "Last changed" is the newest `updated_at` of a *published* policy, lawsuit or ruling.
    Drafts are left out on purpose: editing a draft changes nothing the public can see, and the
    date must not hint at unpublished work.
    """
    counts, stamps = {}, []
    policies, lawsuits, rulings = published_policies(), published_lawsuits(), published_rulings()
    if as_of is not None:  # what had happened by that day
        policies = policies.filter(issued_on__lte=as_of)
        lawsuits = lawsuits.filter(filed_on__lte=as_of)
        rulings = rulings.filter(decided_on__lte=as_of)
    for name, queryset in (("policies", policies), ("lawsuits", lawsuits), ("rulings", rulings)):
        row = queryset.aggregate(count=Count("pk"), changed=Max("updated_at"))
        counts[name] = row["count"]
        if row["changed"] is not None:
            stamps.append(row["changed"])
    return counts, max(stamps, default=None)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    try:
        as_of = as_of_param(request)
    except ValueError:
        return bad_as_of(request)
    policies = list(published_policies().order_by("issued_on", "slug"))
    statuses = (
        statuses_today(policies, request_version(request))
        if as_of is None
        else status.summaries_for(policies, as_of)
    )
    # Each policy's circuits: its holdings and protections, which only the full statuses hold
    # (the summaries above are code, label and headline).
    full = status.statuses_for(policies, as_of)
    ruled = [policy for policy in policies if policy.pk in full]
    ordered = [full[policy.pk] for policy in ruled]
    by_circuit = zip(ruled, ordered, circuits_for(ordered, request_version(request)), strict=True)
    counts, changed = counts_and_last_changed(as_of)
    latest = published_rulings().order_by("-decided_on", "-pk")
    if as_of is not None:
        latest = latest.filter(decided_on__lte=as_of)
    context = {
        "as_of_asked": as_of,
        "policies": [(policy, statuses[policy.pk]) for policy in policies],
        "by_circuit": [
            (policy, status_, rows)
            for policy, status_, rows in by_circuit
            if status_.has_holdings or status_.protections
        ],
        "latest_rulings": ruling_table_rows(rulings_for_table(latest)[:10]),
        "counts": counts,
        "chart": rulings_by_court(published_rulings(), as_of),
        "last_changed": changed,
    }
    return render(request, "cases/home.html", context)
