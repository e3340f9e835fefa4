"""The public reads every page, export and feed starts from: the published records, and which
courts make up each circuit. Pages import these rather than each other's private helpers, so a
rule about what the public may see is written once.
"""

from __future__ import annotations

import datetime
import re

from django.db import connection
from django.db.models import Count, Expression, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from cases.caching import DataVersion, until_next_change
from cases.models import (
    Court,
    CourtLevel,
    Lawsuit,
    Policy,
    PublicationState,
    Ruling,
    RulingMonthCount,
)


def published_rulings() -> QuerySet[Ruling]:
    return Ruling.objects.published()


def published_lawsuits() -> QuerySet[Lawsuit]:
    return Lawsuit.objects.published()


def published_policies() -> QuerySet[Policy]:
    return Policy.objects.published()


def court_ruling_months() -> Expression:
    """For a queryset of courts, on PostgreSQL: how many published rulings each court issued,
    the sum of its months as the database keeps them (RulingMonthCount), a few rows a court."""
    months = (
        RulingMonthCount.objects.filter(court=OuterRef("pk"))
        .order_by()
        .values("court")
        .annotate(n=Sum("rulings"))
        .values("n")
    )
    return Coalesce(Subquery(months), 0)


def court_ruling_count() -> Expression:
    """For a queryset of courts: how many published rulings each court issued (the kept months
    on PostgreSQL, its rulings counted elsewhere)."""
    if connection.vendor == "postgresql":
        return court_ruling_months()
    return Count("rulings", filter=Q(rulings__publication_state=PublicationState.PUBLISHED))


# --- Circuits -----------------------------------------------------------------------------------


def circuit_courts() -> dict[str, list[str]]:
    """Each court of appeals' id, with its own id and those of the courts whose appeals go to it.

    The one definition of circuit membership: the `circuit` filters of the lists, the timeline
    and the facets' grouping all read it."""
    return _circuit_members(
        Court.objects.order_by("id").values_list("id", "level", "appeals_to_id")
    )


def _circuit_members(rows) -> dict[str, list[str]]:
    """`circuit_courts()` from (id, level, appeals_to id) rows in id order."""
    rows = list(rows)
    courts = {pk: [pk] for pk, level, _ in rows if level == CourtLevel.APPELLATE}
    for pk, _, appeals_to in rows:
        if appeals_to in courts:
            courts[appeals_to].append(pk)
    return courts


def circuit_courts_now(version: DataVersion | None) -> dict[str, list[str]]:
    """`circuit_courts()`, kept until the data next changes."""
    return until_next_change(version, "circuit-courts", circuit_courts)


def circuit_order(court_id: str, name: str = "") -> tuple[int, str]:
    """The circuits in number order (1st ... 11th), then D.C. and the Federal Circuit."""
    number = re.search(r"\d+", court_id)
    return (int(number.group()) if number else 99, name or court_id)


def court_directory() -> list[dict]:
    """Every court with its circuit (the court of appeals it belongs to; None for the Supreme
    Court and courts outside the circuits), in the order the court choices list them: the
    Supreme Court, each circuit (its court of appeals, then its other courts by name), then the
    rest by name."""
    rows = list(
        Court.objects.order_by("id").values_list(
            "id", "name", "citation_string", "level", "appeals_to_id"
        )
    )
    members = _circuit_members((pk, level, up) for pk, _, _, level, up in rows)
    circuit_of = {member: circuit for circuit, courts in members.items() for member in courts}
    courts = [
        {
            "id": pk,
            "name": name,
            "citation": citation,
            "level": level,
            "circuit": circuit_of.get(pk),
        }
        for pk, name, citation, level, _ in sorted(rows, key=lambda row: (row[1], row[0]))
    ]
    names = {c["id"]: c["name"] for c in courts}

    def order(court: dict) -> tuple:
        if court["level"] == CourtLevel.SUPREME:
            return (0, (0, ""), 0, court["name"])
        if court["circuit"]:
            circuit = court["circuit"]
            own = 0 if court["id"] == circuit else 1
            return (1, circuit_order(circuit, names.get(circuit, "")), own, court["name"])
        return (2, (0, ""), 0, court["name"])

    return sorted(courts, key=order)


def court_directory_now(version: DataVersion | None) -> list[dict]:
    return until_next_change(version, "court-directory", court_directory)


def court_facet_rows_now(version: DataVersion | None) -> list[tuple[str, str, str, str]]:
    """Each court as the court facet lists it: its id, its name, the legend of its group (its
    circuit) and its checkbox's id, in the directory's order; kept until the data next changes."""

    def build() -> list[tuple[str, str, str, str]]:
        directory = court_directory_now(version)
        names = {court["id"]: court["name"] for court in directory}
        rows = []
        for court in directory:
            circuit = court["circuit"]
            if court["level"] == CourtLevel.SUPREME:
                legend = "Supreme Court"
            elif circuit:
                legend = names.get(circuit, circuit).removeprefix("Court of Appeals for the ")
            else:
                legend = "Other courts"
            rows.append((court["id"], court["name"], legend, f"id_court_{court['id']}"))
        return rows

    return until_next_change(version, "court-facet-rows", build)


def as_date(value) -> datetime.date:
    """A date as a raw query gives it: a date or a timestamp (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value[:10])
