"""The rows of the public tables: rulings and lawsuits with what their cells show, read in a
fixed number of queries whatever the number of rows (includes/ruling_table.html,
includes/lawsuit_table.html).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.urls import get_script_prefix

from cases.caching import DataVersion, KeptForVersion
from cases.models import Effect, Lawsuit, Policy, PublicationState, Ruling, RulingEffect, record_url
from cases.selectors import published_policies


def rulings_for_table(queryset: QuerySet[Ruling]) -> QuerySet[Ruling]:
    """Rulings with their court, ready for `ruling_table_rows` to make a table's rows of."""
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
    markup: str = ""  # its <tr>, once `{% ruling_rows %}` has built it

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


# The rows of rulings tables this process built for the current data version, by address
# prefix and ruling: a ruling is shown in many lists (its court's, its policies', dates, sorts),
# and a row kept is neither read again nor rendered again. About 1.5 KB a row.
KEPT_ROWS = KeptForVersion(limit=5000)


def ruling_table_rows(
    rulings: Iterable[Ruling | tuple], version: DataVersion | None = None
) -> list[RulingRow]:
    """The rows of a rulings table, from rulings (with their court) or from tuples of
    RULING_ROW_VALUES, each given its cases and what it did to each published policy; with the
    request's data `version`, the rows kept for it are used as they are (KEPT_ROWS).

    One query whatever the number of rows, written as SQL: the two ORM queries it replaces
    (their 50-value `IN` lists prepared value by value) cost a list page more than all its other
    queries together. No model instances are built for the related records."""
    prefix = get_script_prefix()
    rows = []
    new: dict[int, RulingRow] = {}
    for ruling in rulings:
        pk = ruling[0] if isinstance(ruling, tuple) else ruling.pk
        kept = KEPT_ROWS.get(version, (prefix, pk)) if version is not None else None
        if kept is None:
            kept = RulingRow(*ruling) if isinstance(ruling, tuple) else RulingRow.of(ruling)
            new[pk] = kept
        rows.append(kept)
    if new:
        _add_links(new)
        if version is not None:
            for pk, row in new.items():
                KEPT_ROWS.put(version, (prefix, pk), row)
    return rows


def _add_links(by_pk: dict[int, RulingRow]) -> None:
    """Each row's cases and effects on policies, in one query."""
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


def lawsuits_for_table(queryset: QuerySet[Lawsuit]) -> QuerySet[Lawsuit]:
    """Lawsuits with the court, plaintiffs and published policies their table row shows."""
    return queryset.select_related("court").prefetch_related(
        "plaintiffs",
        Prefetch("policies", queryset=published_policies().order_by("issued_on", "slug")),
    )
