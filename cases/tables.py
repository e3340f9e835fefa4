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
from cases.models import (
    Court,
    Effect,
    Lawsuit,
    Policy,
    PublicationState,
    Ruling,
    RulingEffect,
    record_url,
)
from cases.selectors import as_date, published_policies


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


# The values a RulingRow is made of, in its order: read as tuples (no model instances; a
# ruling's summary may run to paragraphs).
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
    rulings: Iterable[Ruling | tuple | int], version: DataVersion | None = None
) -> list[RulingRow]:
    """The rows of a rulings table, from rulings (with their court), from tuples of
    RULING_ROW_VALUES or from ids, each given its cases and what it did to each published
    policy; with the request's data `version`, the rows kept for it are used as they are
    (KEPT_ROWS), so a list gives only its page's ids and the rulings not kept are read here.

    One query whatever the number of rows, written as SQL: the two ORM queries it replaces
    (their 50-value `IN` lists prepared value by value) cost a list page more than all its other
    queries together. No model instances are built for the related records."""
    prefix = get_script_prefix()
    found: list[RulingRow | int] = []
    new: dict[int, RulingRow] = {}
    unread: list[int] = []
    for ruling in rulings:
        if isinstance(ruling, int):
            pk = ruling
        else:
            pk = ruling[0] if isinstance(ruling, tuple) else ruling.pk
        kept = KEPT_ROWS.get(version, (prefix, pk)) if version is not None else None
        if kept is not None:
            found.append(kept)
        elif isinstance(ruling, int):
            unread.append(pk)
            found.append(pk)  # its row is read below
        else:
            new[pk] = RulingRow(*ruling) if isinstance(ruling, tuple) else RulingRow.of(ruling)
            found.append(new[pk])
    if new or unread:
        new |= _read_rows(new, unread)
        if version is not None:
            for pk, row in new.items():
                KEPT_ROWS.put(version, (prefix, pk), row)
    # An id without a row: the ruling was deleted after the page read its id.
    return [
        new[row] if isinstance(row, int) else row
        for row in found
        if not isinstance(row, int) or row in new
    ]


def _read_rows(by_pk: dict[int, RulingRow], unread: list[int]) -> dict[int, RulingRow]:
    """Adds each row's cases and effects on policies, and reads the rulings `unread` as rows
    with theirs, in one query; returns the rows read."""
    ids, id_params = _among([*by_pk, *unread])
    own, own_params = "", []
    if unread:
        own_ids, own_params = _among(unread)
        own = f"""
        SELECT ruling.id, 0, ruling.decided_on, ruling.kind, ruling.outcome, ruling.scope,
               ruling.citation, ruling.court_id, court.citation_string
          FROM {Ruling._meta.db_table} ruling
          JOIN {Court._meta.db_table} court ON court.id = ruling.court_id
         WHERE ruling.id {own_ids}
        UNION ALL"""
    sql = f"""{own}
        SELECT link.ruling_id, 1, lawsuit.filed_on, lawsuit.slug, lawsuit.caption, '', '', '', ''
          FROM {Ruling.lawsuits.through._meta.db_table} link
          JOIN {Lawsuit._meta.db_table} lawsuit ON lawsuit.id = link.lawsuit_id
         WHERE link.ruling_id {ids} AND lawsuit.publication_state = %s
        UNION ALL
        SELECT effect.ruling_id, 2, policy.issued_on, policy.slug, policy.short_title,
               effect.effect, '', '', ''
          FROM {RulingEffect._meta.db_table} effect
          JOIN {Policy._meta.db_table} policy ON policy.id = effect.policy_id
         WHERE effect.ruling_id {ids} AND policy.publication_state = %s
        ORDER BY 2, 3, 4
    """
    published = PublicationState.PUBLISHED.value
    params = [*own_params, *id_params, published, *id_params, published]
    labels = dict(Effect.choices)
    read: dict[int, RulingRow] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for ruling_id, part, day, *text in cursor.fetchall():
            if part == 0:  # the ruling itself (first: ORDER BY 2)
                read[ruling_id] = RulingRow(ruling_id, as_date(day), *text)
                continue
            row = by_pk.get(ruling_id) or read[ruling_id]
            slug, title, effect = text[:3]
            if part == 1:
                url = record_url("cases:lawsuit-detail", "slug", slug)
                row.case_links.append(RowLink(url, title))
            else:
                url = record_url("cases:policy-detail", "slug", slug)
                row.policy_links.append(RowLink(url, title, labels.get(effect, effect)))
    return read


def _among(ids: list[int]) -> tuple[str, list]:
    """The condition that a column is one of `ids`, and its parameters. On PostgreSQL one array
    parameter: planned in a fraction of the time of a 50-value IN list."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [ids]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def lawsuits_for_table(queryset: QuerySet[Lawsuit]) -> QuerySet[Lawsuit]:
    """Lawsuits with the court, plaintiffs and published policies their table row shows."""
    return queryset.select_related("court").prefetch_related(
        "plaintiffs",
        Prefetch("policies", queryset=published_policies().order_by("issued_on", "slug")),
    )
