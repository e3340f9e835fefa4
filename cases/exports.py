"""CSV and JSON exports of every public list, streamed in constant memory.

Each export is one SQL query: the list's filtered, ordered queryset reduced to `values()`, with
related records' names gathered by correlated subqueries (so the row count never changes the
number of queries), except the rulings' on PostgreSQL: their lists are kept current by the
database in `RulingExportRow` and joined once (a subquery per list per ruling was nine tenths of
a 300,000-ruling export). Rows are written in chunks into a StreamingHttpResponse.

On PostgreSQL, an export of a list without Python-computed columns goes further: the same query,
with every cell already formatted in SQL, runs as `COPY (...) TO STDOUT` and its output is
streamed as it arrives (`copy_csv_stream`, `copy_json_stream`). Both paths write byte-identical
files: for CSV every field quoted, "\n" line ends, formula triggers neutralised; for JSON one
record a line, as json.dumps writes it.

Columns are a public contract, documented in the README's data dictionary; change them only
together with it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime
import functools
import io
import json
import queue
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, DateField, Expression, F, Func, QuerySet, TextField, Value
from django.db.models.expressions import Col, RawSQL
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from cases.caching import DataVersion
from cases.selectors import court_ruling_months

# Separates the names inside a multi-valued cell on its way out of the database.
UNIT_SEPARATOR = "\x1f"
# The CSV dialect of both paths: every field quoted, "\n" line ends (what COPY writes).
CSV_LINE_END = "\n"
# Joins those names inside one CSV cell.
CSV_LIST_SEPARATOR = "; "
# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
# Characters a spreadsheet may read as one of `= + - @`: their full-width, small, superscript
# and subscript forms (each one's NFKC form begins with a trigger), and the minus sign.
FORMULA_LOOKALIKES = (
    (0x207A, 0x207C),  # superscript plus, minus, equals
    (0x208A, 0x208C),  # subscript plus, minus, equals
    (0x2212, 0x2212),  # minus sign
    (0x2A75, 0x2A76),  # two and three consecutive equals signs
    (0xFB29, 0xFB29),  # Hebrew alternative plus sign
    (0xFE62, 0xFE63),  # small plus sign, small hyphen-minus
    (0xFE66, 0xFE66),  # small equals sign
    (0xFE6B, 0xFE6B),  # small commercial at
    (0xFF0B, 0xFF0B),  # full-width plus sign
    (0xFF0D, 0xFF0D),  # full-width hyphen-minus
    (0xFF1D, 0xFF1D),  # full-width equals sign
    (0xFF20, 0xFF20),  # full-width commercial at
)
# Characters that can stand unseen before a formula: every space, control and format character
# (Unicode categories Zs, Zl, Zp, Cc and Cf: NBSP, U+3000, the zero-width space, the BOM, bidi
# marks...) and the other default-ignorable ones (fillers, variation selectors, tags).
# Spreadsheets drop some of them when they read a cell, so " =1+1" may still be a formula.
FORMULA_HIDDEN = (
    (0x0001, 0x0020),
    (0x007F, 0x00A0),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x206F),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
ROWS_PER_CHUNK = 500

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _regex_class(ranges: Iterable[tuple[int, int]]) -> str:
    """The inside of a bracket expression, written in escapes that Python's `re` and
    PostgreSQL's regular expressions read alike (backslash-u and four hex digits, backslash-U
    and eight)."""

    def char(code: int) -> str:
        return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"

    return "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in ranges)


# A cell a spreadsheet would read as a formula: it starts with a tab, carriage return or line
# feed, or its first visible character is = + - @ or a look-alike of one. The same pattern runs
# in Python (neutralise) and in PostgreSQL (CsvCell), so both export paths agree.
FORMULA_PATTERN = (
    f"^(?:[\\t\\r\\n]|[{_regex_class(FORMULA_HIDDEN)}]*[-+=@{_regex_class(FORMULA_LOOKALIKES)}])"
)
_FORMULA = re.compile(FORMULA_PATTERN)


def neutralise(text: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    first = text[:1]
    if "!" <= first <= "~":  # printable ASCII: the common case, decided by its first character
        return "'" + text if first in "=+-@" else text
    return "'" + text if first == "\0" or _FORMULA.match(text) else text


# --- Column definitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One export column.

    `source` is a field path, or a function of the database vendor returning an expression.
    `kind` is one of: text, date, integer, list (several names), records (a JSON array of
    objects, written as text in CSV: `effect_text`), url (the record's page),
    derived (computed in Python by the spec's `derive`; `source` is None).
    """

    name: str
    source: str | Callable[[str], Expression] | None
    kind: str
    description: str
    # Whether the value depends on a day (a policy's status): `source` then also takes `day`,
    # which `ExportSpec.on` gives it.
    dated: bool = False

    def expression(self, vendor: str, *, csv: bool = False) -> Expression:
        """The column's value; with `csv`, list columns come joined by CSV_LIST_SEPARATOR."""
        if self.kind == "derived":
            return Value(None, output_field=CharField())
        if callable(self.source):
            return self.source(vendor, csv=csv)
        return F(self.source)


@dataclass(frozen=True)
class StoredJson:
    """Records whose JSON text the database keeps whole in `field` (PostgreSQL), `marker`
    standing where the list's address goes (a control character, which JSON text never holds
    unescaped)."""

    field: str
    marker: str = "\x03"


@dataclass(frozen=True)
class ExportSpec:
    name: str
    list_url_name: str
    columns: list[Column] = field(default_factory=list)
    # For columns computed in Python ("derived"): given the export's queryset and the data
    # version, a function from a row's first column to {column name: value}. Only for lists
    # that stay small (policies).
    derive: Callable[[QuerySet, DataVersion | None], Callable[[object], dict]] | None = None
    # The JSON export through COPY reads each record's text as the database keeps it.
    stored_json: StoredJson | None = None

    @property
    def headers(self) -> list[str]:
        return [column.name for column in self.columns]

    def on(self, day: datetime.date) -> ExportSpec:
        """This export with its dated columns' values for `day`."""
        columns = [
            dataclasses.replace(c, source=functools.partial(c.source, day=day), dated=False)
            if c.dated
            else c
            for c in self.columns
        ]
        return dataclasses.replace(self, columns=columns)


def related_names(*, joins: str, where: str, name: str, order: str) -> Callable[[str], RawSQL]:
    """A correlated subquery gathering related records' names, in a stable order.

    `where` ties the subquery to the outer row through the outer table's quoted name
    (Django queries the base table under its own name, e.g. "cases_ruling"."id").
    """

    def build(vendor: str, *, csv: bool = False) -> RawSQL:
        if vendor == "postgresql":
            separator = f"'{CSV_LIST_SEPARATOR}'" if csv else "chr(31)"
            sql = (
                f"(SELECT string_agg({name}, {separator} ORDER BY {order}) "
                f"FROM {joins} WHERE {where})"
            )
        else:
            # SQLite (3.40) has no ORDER BY inside aggregates: aggregate an ordered subquery.
            sql = (
                f"(SELECT group_concat(n, char(31)) FROM "
                f"(SELECT {name} AS n FROM {joins} WHERE {where} ORDER BY {order}))"
            )
        return RawSQL(sql, [])

    return build


def stored_or_related(stored: str, related: Callable[[str], RawSQL]) -> Callable[[str], Expression]:
    """On PostgreSQL, a ruling's list as RulingExportRow keeps it (U+001F between the names,
    joined to the ruling once); elsewhere the correlated subquery `related`."""

    def build(vendor: str, *, csv: bool = False) -> Expression:
        if vendor != "postgresql":
            return related(vendor, csv=csv)
        value = F(f"export_row__{stored}")
        if csv:
            return Func(
                value,
                Value(UNIT_SEPARATOR),
                Value(CSV_LIST_SEPARATOR),
                function="replace",
                output_field=TextField(),
            )
        return value

    return build


def counted(*, joins: str, where: str) -> Callable[[str], RawSQL]:
    def build(vendor: str, *, csv: bool = False) -> RawSQL:
        return RawSQL(f"(SELECT COUNT(*) FROM {joins} WHERE {where})", [])

    return build


def stored_count_or_counted(
    stored: Callable[[], Expression], related: Callable[[str], RawSQL]
) -> Callable[[str], Expression]:
    """On PostgreSQL, a count the database keeps (`stored()`); elsewhere `related`."""

    def build(vendor: str, *, csv: bool = False) -> Expression:
        if vendor == "postgresql":
            return stored()
        return related(vendor, csv=csv)

    return build


PUBLISHED = "'published'"


def stored_status(field: str) -> Callable[..., Expression]:
    """A policy's stored status on a day (cases/status/store.py): one indexed lookup per row.
    A draft has no public status (its column is empty in an editor's export)."""

    def build(vendor: str, *, csv: bool = False, day: datetime.date | None = None) -> Expression:
        if field == "as_of":
            return Value(day or timezone.localdate(), output_field=DateField())
        # The policies export selects from cases_policy under its own name.
        return RawSQL(
            f"(SELECT s.{field} FROM cases_statusinterval s "
            'WHERE s.policy_id = "cases_policy"."id" AND s.part_slug IS NULL '
            "AND s.valid_from <= %s AND s.valid_to > %s "
            f'AND "cases_policy"."publication_state" = {PUBLISHED})',
            [day or timezone.localdate()] * 2,
        )

    return build


# A ruling's effects on published policies, in the policies' order. Each effect as a JSON object
# (json.dumps' spacing on PostgreSQL, whose COPY path writes it as it comes), or, for the CSV
# COPY path, as its cell text: see the `effects` column's description.
_EFFECTS_FROM = (
    "FROM cases_rulingeffect e JOIN cases_policy p ON p.id = e.policy_id "
    f'WHERE e.ruling_id = "cases_ruling"."id" AND p.publication_state = {PUBLISHED}'
)
_EFFECTS_ORDER = "p.issued_on, p.slug, e.id"
_PG_PARTS = (
    "(SELECT string_agg(pp.name, ', ' ORDER BY pp.name, pp.id) FROM cases_rulingeffect_parts ep "
    "JOIN cases_policypart pp ON pp.id = ep.policypart_id WHERE ep.rulingeffect_id = e.id)"
)
_PG_PARTS_JSON = (
    "COALESCE((SELECT replace(to_json(array_agg(pp.name ORDER BY pp.name, pp.id))::text, "
    """'","', '", "') FROM cases_rulingeffect_parts ep JOIN cases_policypart pp """
    "ON pp.id = ep.policypart_id WHERE ep.rulingeffect_id = e.id), '[]')"
)
_PG_PROTECTED = (
    "(SELECT string_agg(j.name, ', ' ORDER BY j.name, j.id) FROM cases_rulingeffect_protected ej "
    "JOIN cases_jurisdiction j ON j.id = ej.jurisdiction_id WHERE ej.rulingeffect_id = e.id)"
)
_PG_PROTECTED_JSON = (
    "COALESCE((SELECT replace(to_json(array_agg(j.name ORDER BY j.name, j.id))::text, "
    """'","', '", "') FROM cases_rulingeffect_protected ej JOIN cases_jurisdiction j """
    "ON j.id = ej.jurisdiction_id WHERE ej.rulingeffect_id = e.id), '[]')"
)
_PG_STATES = "regexp_replace(btrim(e.states), '\\s+', ', ', 'g')"
_PG_STATES_JSON = (
    "CASE WHEN btrim(e.states) = '' THEN '[]' ELSE replace(to_json("
    """regexp_split_to_array(btrim(e.states), '\\s+'))::text, '","', '", "') END"""
)


def _protects_sql(states: str, protected: str) -> str:
    """Who an effect protects, as text (NULL for an effect that protects nobody by itself)."""
    return (
        "(CASE e.reach WHEN 'nationwide' THEN 'nationwide' "
        f"WHEN 'states' THEN 'every government within ' || {states} "
        f"WHEN 'jurisdictions' THEN {protected} WHEN 'nobody' THEN 'nobody' ELSE NULL END)"
    )


def ruling_effects(vendor: str, *, csv: bool = False) -> Expression:
    """The `effects` column: a JSON array of objects (NULL without effects), or with `csv` (on
    PostgreSQL) the cell's text. PostgreSQL keeps both texts in the ruling's export row
    (migration 0020 builds them with `ruling_effects_subquery`'s SQL), joined once."""
    if vendor == "postgresql":
        return F("export_row__effects_csv" if csv else "export_row__effects_json")
    return ruling_effects_subquery(vendor, csv=csv)


def ruling_effects_subquery(vendor: str, *, csv: bool = False) -> RawSQL:
    """The `effects` column worked out per ruling by a correlated subquery: what SQLite runs,
    and on PostgreSQL what the export rows must hold (tests/test_export_rows.py)."""
    if vendor == "postgresql":
        protects = _protects_sql(_PG_STATES, _PG_PROTECTED)
        if csv:
            item = (
                f"p.short_title || COALESCE(' (' || {_PG_PARTS} || ')', '') || ': ' || e.effect "
                f"|| COALESCE(' (protects ' || {protects} || ')', '')"
            )
            separator = f"'{CSV_LIST_SEPARATOR}'"
            return RawSQL(
                f"(SELECT string_agg({item}, {separator} ORDER BY {_EFFECTS_ORDER}) "
                f"{_EFFECTS_FROM})",
                [],
            )
        item = (
            """'{"policy": ' || to_json(p.short_title)::text || ', "parts": ' || """
            f"""{_PG_PARTS_JSON} || ', "effect": ' || to_json(e.effect)::text || """
            f"""', "protects": ' || COALESCE(to_json({protects})::text, 'null') || """
            f"""', "states": ' || {_PG_STATES_JSON} || ', "jurisdictions": ' || """
            f"""{_PG_PROTECTED_JSON} || '}}'"""
        )
        return RawSQL(
            f"(SELECT '[' || string_agg({item}, ', ' ORDER BY {_EFFECTS_ORDER}) || ']' "
            f"{_EFFECTS_FROM})",
            [],
        )
    # SQLite (no ORDER BY inside aggregates): objects from an ordered subquery; the Python
    # path reads them and writes them as json.dumps does.
    parts = (
        "(SELECT json_group_array(n) FROM (SELECT pp.name AS n FROM cases_rulingeffect_parts ep "
        "JOIN cases_policypart pp ON pp.id = ep.policypart_id WHERE ep.rulingeffect_id = e.id "
        "ORDER BY pp.name, pp.id))"
    )
    names = (
        "(SELECT {agg} FROM (SELECT j.name AS n FROM cases_rulingeffect_protected ej "
        "JOIN cases_jurisdiction j ON j.id = ej.jurisdiction_id WHERE ej.rulingeffect_id = e.id "
        "ORDER BY j.name, j.id))"
    )
    # The codes separated by single spaces (SQLite has no regexp_replace): tabs and runs of up
    # to eight spaces collapsed.
    codes = (
        "replace(replace(replace(trim(replace(e.states, char(9), ' ')), '   ', ' '), '  ', ' '), "
        "'  ', ' ')"
    )
    states = f"replace({codes}, ' ', ', ')"
    states_json = (
        f"CASE WHEN {codes} = '' THEN json_array() "
        f"""ELSE '["' || replace({codes}, ' ', '","') || '"]' END"""
    )
    protects = _protects_sql(states, names.format(agg="group_concat(n, ', ')"))
    item = (
        f"json_object('policy', p.short_title, 'parts', json({parts}), 'effect', e.effect, "
        f"'protects', {protects}, 'states', json({states_json}), "
        f"'jurisdictions', json({names.format(agg='json_group_array(n)')}))"
    )
    return RawSQL(
        f"(SELECT json_group_array(json(o)) FROM (SELECT {item} AS o {_EFFECTS_FROM} "
        f"ORDER BY {_EFFECTS_ORDER}))",
        [],
    )


def effect_text(effect: dict) -> str:
    """An effect as its CSV cell writes it: 'EO 13768 (notice): blocks (protects nationwide)'."""
    parts = f" ({', '.join(effect['parts'])})" if effect["parts"] else ""
    protects = f" (protects {effect['protects']})" if effect["protects"] else ""
    return f"{effect['policy']}{parts}: {effect['effect']}{protects}"


RULING_EXPORT = ExportSpec(
    name="rulings",
    list_url_name="cases:ruling-list",
    columns=[
        Column("id", "id", "integer", "The ruling's permanent number in the tracker."),
        Column("url", "id", "url", "The ruling's page on the tracker."),
        Column("decided_on", "decided_on", "date", "Date the ruling was issued (YYYY-MM-DD)."),
        Column("court_id", "court_id", "text", "Issuing court's CourtListener id (e.g. ilnd)."),
        Column("court", "court__name", "text", "Issuing court's name."),
        Column("kind", "kind", "text", "Kind of ruling (code; see the list of kinds)."),
        Column(
            "outcome", "outcome", "text", "Who won: challengers, government, mixed, procedural."
        ),
        Column(
            "scope", "scope", "text", "Reach of the relief: nationwide, regional, plaintiffs, none."
        ),
        Column(
            "lawsuits",
            stored_or_related(
                "lawsuits",
                related_names(
                    joins="cases_lawsuit l JOIN cases_ruling_lawsuits rl ON rl.lawsuit_id = l.id",
                    where=(
                        f'rl.ruling_id = "cases_ruling"."id" AND l.publication_state = {PUBLISHED}'
                    ),
                    name="l.caption",
                    order="l.filed_on, l.slug",
                ),
            ),
            "list",
            "Caption(s) of the case(s) the ruling was issued in.",
        ),
        Column(
            "docket_number",
            "docket_number",
            "text",
            "Docket or appeal number(s) in the issuing court.",
        ),
        Column("judges", "judges", "text", "Judge(s); on a panel the author is named first."),
        Column(
            "citation",
            "citation",
            "text",
            "Reporter citation, where published (e.g. 888 F.3d 272).",
        ),
        Column(
            "reviews_id",
            "reviews_id",
            "integer",
            "Id of the lower ruling this one reviews on appeal, if any.",
        ),
        Column(
            "disposition", "disposition", "text", "What this ruling did to the ruling it reviews."
        ),
        Column(
            "effects",
            ruling_effects,
            "records",
            "What the ruling did to each published policy, and who that protects. CSV: one "
            "'policy (parts): effect (protects who)' per effect, separated by '; ' (parts only "
            "when it reached some of the policy's parts; 'protects' only for an effect that "
            "says whom it protects). JSON: an object per effect: policy (short title), parts "
            "(names; empty for the whole policy), effect (code: blocks, upholds, ...), protects "
            "('nationwide', 'every government within CA, IL', the jurisdictions' names, "
            "'nobody', or null), states (codes), jurisdictions (names).",
        ),
        Column(
            "grounds",
            stored_or_related(
                "grounds",
                related_names(
                    joins="cases_ground g JOIN cases_ruling_grounds rg ON rg.ground_id = g.id",
                    where='rg.ruling_id = "cases_ruling"."id"',
                    name="g.name",
                    order="g.name",
                ),
            ),
            "list",
            "Legal grounds the ruling rests on.",
        ),
        Column("summary", "summary", "text", "What the court decided, in plain words."),
    ],
    # Kept by migration 0025's triggers: a change to these columns needs a migration there.
    stored_json=StoredJson("export_row__record_json"),
)

LAWSUIT_EXPORT = ExportSpec(
    name="lawsuits",
    list_url_name="cases:lawsuit-list",
    columns=[
        Column(
            "slug", "slug", "text", "The lawsuit's permanent key (used in its URL and filters)."
        ),
        Column("url", "slug", "url", "The lawsuit's page on the tracker."),
        Column("caption", "caption", "text", "Short caption."),
        Column("court_id", "court_id", "text", "Court of first instance (CourtListener id)."),
        Column("court", "court__name", "text", "Court of first instance (name)."),
        Column("docket_number", "docket_number", "text", "Docket number in that court."),
        Column("judge", "judge", "text", "Presiding judge."),
        Column("filed_on", "filed_on", "date", "Date the complaint was filed (YYYY-MM-DD)."),
        Column(
            "filed_on_precision",
            "filed_on_precision",
            "text",
            "How exactly filed_on is known: day, month (the day is a placeholder) or year.",
        ),
        Column("closed_on", "closed_on", "date", "Date the case was closed, if it has been."),
        Column("status", "status", "text", "pending, on_appeal, closed or dismissed."),
        Column(
            "plaintiffs",
            related_names(
                joins=(
                    "cases_jurisdiction j "
                    "JOIN cases_lawsuit_plaintiffs lp ON lp.jurisdiction_id = j.id"
                ),
                where='lp.lawsuit_id = "cases_lawsuit"."id"',
                name="j.name",
                order="j.name",
            ),
            "list",
            "Jurisdictions that brought the suit.",
        ),
        Column(
            "policies",
            related_names(
                joins="cases_policy p JOIN cases_lawsuit_policies lp ON lp.policy_id = p.id",
                where=f'lp.lawsuit_id = "cases_lawsuit"."id" AND p.publication_state = {PUBLISHED}',
                name="p.short_title",
                order="p.issued_on, p.slug",
            ),
            "list",
            "Policies the suit challenges.",
        ),
        Column(
            "ruling_count",
            counted(
                joins="cases_ruling_lawsuits rl JOIN cases_ruling r ON r.id = rl.ruling_id",
                where=f'rl.lawsuit_id = "cases_lawsuit"."id" AND r.publication_state = {PUBLISHED}',
            ),
            "integer",
            "Number of published rulings issued in the suit.",
        ),
        Column("summary", "summary", "text", "What the suit is about."),
    ],
)

POLICY_EXPORT = ExportSpec(
    name="policies",
    list_url_name="cases:policy-list",
    columns=[
        Column("slug", "slug", "text", "The policy's permanent key."),
        Column("url", "slug", "url", "The policy's page on the tracker."),
        Column("short_title", "short_title", "text", "Short name."),
        Column("title", "title", "text", "Official or descriptive title."),
        Column("kind", "kind", "text", "Kind of policy (code)."),
        Column("issued_by", "issued_by", "text", "Who issued it."),
        Column("issued_on", "issued_on", "date", "Date signed or announced (YYYY-MM-DD)."),
        Column(
            "issued_on_precision",
            "issued_on_precision",
            "text",
            "How exactly issued_on is known: day, month (the day is a placeholder) or year.",
        ),
        Column("citation", "citation", "text", "Formal citation (e.g. 82 Fed. Reg. 8799)."),
        Column(
            "programs",
            related_names(
                joins=(
                    "cases_fundingprogram f "
                    "JOIN cases_policy_programs pp ON pp.fundingprogram_id = f.id"
                ),
                where='pp.policy_id = "cases_policy"."id"',
                name="f.short_name",
                order="f.short_name",
            ),
            "list",
            "Funding programs the policy conditions or affects.",
        ),
        Column(
            "end_kind", "end_kind", "text", "revoked, superseded or expired; empty while it stands."
        ),
        Column("ended_on", "ended_on", "date", "Date the policy ended, if it has."),
        Column("ended_by", "ended_by", "text", "What ended it."),
        Column(
            "status",
            stored_status("code"),
            "text",
            "Legal status on `status_as_of`, derived from the rulings (a code: see the statuses).",
            dated=True,
        ),
        Column(
            "status_as_of",
            stored_status("as_of"),
            "date",
            "The day the status is for: the list's `as_of`, or today.",
            dated=True,
        ),
        Column(
            "status_detail",
            stored_status("text"),
            "text",
            "The status in words, naming the controlling ruling(s) and any circuit split.",
            dated=True,
        ),
        Column("summary", "summary", "text", "What the policy does."),
    ],
)

PROGRAM_EXPORT = ExportSpec(
    name="programs",
    list_url_name="cases:program-list",
    columns=[
        Column("slug", "slug", "text", "The program's permanent key."),
        Column("url", "slug", "url", "The program's page on the tracker."),
        Column("short_name", "short_name", "text", "Common short name."),
        Column("name", "name", "text", "Full official name."),
        Column("administering_office", "administering_office", "text", "Office that runs it."),
        Column("statute", "statute", "text", "Authorising statute."),
        Column(
            "policies",
            related_names(
                joins="cases_policy p JOIN cases_policy_programs pp ON pp.policy_id = p.id",
                where=(
                    'pp.fundingprogram_id = "cases_fundingprogram"."id" '
                    f"AND p.publication_state = {PUBLISHED}"
                ),
                name="p.short_title",
                order="p.issued_on, p.slug",
            ),
            "list",
            "Policies that condition or affect the program.",
        ),
        Column("description", "description", "text", "What the program funds."),
    ],
)

COURT_EXPORT = ExportSpec(
    name="courts",
    list_url_name="cases:court-list",
    columns=[
        Column("id", "id", "text", "CourtListener / courts-db identifier."),
        Column("url", "id", "url", "The court's page on the tracker."),
        Column("name", "name", "text", "Full name."),
        Column("citation_string", "citation_string", "text", "Abbreviation used in citations."),
        Column("level", "level", "text", "district, special, appellate or supreme."),
        Column("appeals_to", "appeals_to_id", "text", "Id of the court that hears its appeals."),
        Column("location", "location", "text", "State or territory."),
        Column(
            "ruling_count",
            stored_count_or_counted(
                court_ruling_months,
                counted(
                    joins="cases_ruling r",
                    where=f'r.court_id = "cases_court"."id" AND r.publication_state = {PUBLISHED}',
                ),
            ),
            "integer",
            "Number of published rulings the court issued.",
        ),
        Column(
            "lawsuit_count",
            counted(
                joins="cases_lawsuit l",
                where=f'l.court_id = "cases_court"."id" AND l.publication_state = {PUBLISHED}',
            ),
            "integer",
            "Number of published lawsuits filed in the court.",
        ),
    ],
)

JURISDICTION_EXPORT = ExportSpec(
    name="jurisdictions",
    list_url_name="cases:jurisdiction-list",
    columns=[
        Column("slug", "slug", "text", "The jurisdiction's permanent key."),
        Column("url", "slug", "url", "The jurisdiction's page on the tracker."),
        Column("name", "name", "text", "Official name."),
        Column("kind", "kind", "text", "state, county, city, city_county or other."),
        Column("state", "state", "text", "Two-letter state code."),
        Column(
            "lawsuits",
            related_names(
                joins="cases_lawsuit l JOIN cases_lawsuit_plaintiffs lp ON lp.lawsuit_id = l.id",
                where=(
                    'lp.jurisdiction_id = "cases_jurisdiction"."id" '
                    f"AND l.publication_state = {PUBLISHED}"
                ),
                name="l.caption",
                order="l.filed_on, l.slug",
            ),
            "list",
            "Lawsuits it brought as a plaintiff.",
        ),
        Column(
            "named_by",
            related_names(
                joins="cases_policy p JOIN cases_policy_targets pt ON pt.policy_id = p.id",
                where=(
                    'pt.jurisdiction_id = "cases_jurisdiction"."id" '
                    f"AND p.publication_state = {PUBLISHED}"
                ),
                name="p.short_title",
                order="p.issued_on, p.slug",
            ),
            "list",
            "Policies that name it (for example, letters it received).",
        ),
    ],
)

EXPORTS = [
    RULING_EXPORT,
    LAWSUIT_EXPORT,
    POLICY_EXPORT,
    PROGRAM_EXPORT,
    COURT_EXPORT,
    JURISDICTION_EXPORT,
]


# --- Rows ---------------------------------------------------------------------------------------


def export_rows(spec: ExportSpec, queryset: QuerySet) -> Iterator[tuple]:
    """The raw values of each column, one tuple per record, in the queryset's order."""
    vendor = connection.vendor
    values = {f"c{i}": column.expression(vendor) for i, column in enumerate(spec.columns)}
    rows = queryset.annotate(**values).values_list(*values.keys())
    return rows.iterator(chunk_size=2000)


def _python_values(spec: ExportSpec, raw: tuple, base_url: str, derived=None) -> list:
    out: list = []
    extra = derived(raw[0]) if derived else {}
    for column, value in zip(spec.columns, raw, strict=True):
        if column.kind == "derived":
            value = extra.get(column.name)
        elif column.kind == "url":
            value = f"{base_url}{value}/"
        elif column.kind == "list":
            value = value.split(UNIT_SEPARATOR) if value else []
        elif column.kind == "records":
            value = json.loads(value) if value else []
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out.append(value)
    return out


def _csv_cells(values: list) -> list[str]:
    cells = []
    for value in values:
        if value is None:
            cells.append("")
        elif isinstance(value, list):
            texts = [effect_text(v) if isinstance(v, dict) else v for v in value]
            cells.append(neutralise(CSV_LIST_SEPARATOR.join(texts)))
        elif isinstance(value, str):
            cells.append(neutralise(value))
        else:
            cells.append(str(value))
    return cells


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def csv_stream(
    spec: ExportSpec, queryset: QuerySet, base_url: str, version: DataVersion | None = None
) -> Iterator[str]:
    derived = spec.derive(queryset, version) if spec.derive else None
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=CSV_LINE_END)
    writer.writerow(spec.headers)
    yield buffer.getvalue()
    for chunk in _chunks(export_rows(spec, queryset), ROWS_PER_CHUNK):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_csv_cells(_python_values(spec, raw, base_url, derived)) for raw in chunk)
        yield buffer.getvalue()


def json_stream(
    spec: ExportSpec, queryset: QuerySet, base_url: str, version: DataVersion | None = None
) -> Iterator[str]:
    derived = spec.derive(queryset, version) if spec.derive else None
    yield "["
    first = True
    for chunk in _chunks(export_rows(spec, queryset), ROWS_PER_CHUNK):
        parts = []
        for raw in chunk:
            values = _python_values(spec, raw, base_url, derived)
            record = dict(zip(spec.headers, values, strict=True))
            parts.append(("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False))
            first = False
        yield "".join(parts)
    yield "\n]\n"


# --- The PostgreSQL COPY path for CSV ------------------------------------------------------------

# The printable ASCII formula triggers, as code points (see _neutralised_sql).
_ASCII_TRIGGER_CODES = ", ".join(str(ord(t)) for t in "=+-@")
COPY_CHUNK_BYTES = 64 * 1024
COPY_QUEUE_CHUNKS = 4
# statement_timeout for the COPY (a slow client holds the statement open while it reads).
COPY_STATEMENT_TIMEOUT = "10min"
# work_mem for the export's statement: the sort of a hundred thousand rulings' rows then stays in
# memory instead of spilling to disk (a fifth of the export's time). One statement at a time per
# worker, so at most this much per worker.
COPY_WORK_MEM = "64MB"
# Parallel workers for the export's statement (PostgreSQL's default; the web connection runs
# without them: settings.DB_PARALLEL_WORKERS). One long scan and sort gains from a second core:
# the 300,000 rulings' CSV took psql 1.2-1.3 s with two, 1.9 s without.
COPY_PARALLEL_WORKERS = "2"
# The settings the export's statement runs under, restored afterwards. No JIT: compiling the
# statement's expressions in each parallel worker costs more than it saves on a single pass
# (300,000 rulings' JSON: 3.0-3.6 s without, 3.3-3.9 s with, 7 runs each, same machine).
COPY_SETTINGS = {
    "statement_timeout": COPY_STATEMENT_TIMEOUT,
    "work_mem": COPY_WORK_MEM,
    "jit": "off",
    "max_parallel_workers_per_gather": COPY_PARALLEL_WORKERS,
}
_DONE = object()


class CsvCell(Func):
    """A column's value as the exact text the Python path writes into its CSV cell.

    text and list: NULL as '', formula triggers prefixed with an apostrophe; date: YYYY-MM-DD;
    integer: its digits; url: the (neutralised) list URL, the key and a slash.
    """

    output_field = TextField()

    def __init__(self, expression, *, kind: str, url_prefix: str = ""):
        super().__init__(expression)
        self.kind = kind
        self.url_prefix = url_prefix

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        params = tuple(params)
        if self.kind == "integer":
            return f"COALESCE(({sql})::text, '')", params
        if self.kind == "date":
            return f"COALESCE(to_char({sql}, 'YYYY-MM-DD'), '')", params
        if self.kind == "url":
            return f"(%s || ({sql})::text || '/')", (self.url_prefix, *params)
        if isinstance(self.get_source_expressions()[0], Col):
            return _neutralised_sql(f"{sql}::text"), _neutralised_params(params)
        # A subquery: evaluate it once (OFFSET 0 keeps the planner from inlining it each time).
        return (
            f"(SELECT {_neutralised_sql('v')} FROM (SELECT ({sql})::text AS v OFFSET 0) AS cell)",
            (*_neutralised_params(()), *params),
        )


def _neutralised_sql(value: str) -> str:
    """SQL for neutralise(value), with NULL as '': a cell that starts with printable ASCII is
    decided by its first character; any other is matched against FORMULA_PATTERN."""
    prefixed = f"'''' || {value}"
    return (
        f"COALESCE(CASE WHEN ascii({value}) BETWEEN 33 AND 126 "
        f"THEN (CASE WHEN ascii({value}) IN ({_ASCII_TRIGGER_CODES}) "
        f"THEN {prefixed} ELSE {value} END) "
        f"WHEN {value} ~ %s THEN {prefixed} ELSE {value} END, '')"
    )


def _neutralised_params(params: tuple) -> tuple:
    """The parameters of _neutralised_sql(value), where `value` takes `params`."""
    return (*params * 5, FORMULA_PATTERN, *params * 2)


def copy_supported(spec: ExportSpec) -> bool:
    """Whether `spec`'s CSV can be produced by COPY: PostgreSQL and no Python-computed column."""
    return (
        connection.vendor == "postgresql"
        and spec.derive is None
        and all(column.kind != "derived" for column in spec.columns)
    )


def _joined(cell: Expression) -> Expression:
    """A list cell (names separated by U+001F) with the names joined by CSV_LIST_SEPARATOR."""
    return Func(
        cell,
        Value(UNIT_SEPARATOR),
        Value(CSV_LIST_SEPARATOR),
        function="replace",
        output_field=TextField(),
    )


def _copy(queryset: QuerySet, cells: dict[str, Expression], options: str) -> str:
    rows = queryset.annotate(**cells).values_list(*cells)
    sql, params = rows.query.sql_with_params()
    if rows.query.distinct:
        # SELECT DISTINCT adds the ORDER BY columns to the select list: keep only the cells
        # (a plain subquery scan keeps the subquery's order).
        names = ", ".join(f'"{name}"' for name in cells)
        sql = f"SELECT {names} FROM ({sql}) AS export_rows"
    with connection.cursor() as cursor:
        select = cursor.mogrify(sql, params).decode()
    return f"COPY ({select}) TO STDOUT WITH ({options})"


class CsvLine(Func):
    """A row's CSV line as csv.writer(quoting=QUOTE_ALL) writes it, without the line end: each
    cell in double quotes, its own double quotes doubled, the cells separated by commas."""

    arg_joiner = """ || '","' || """
    template = """('"' || %(expressions)s || '"')"""
    output_field = TextField()

    def __init__(self, *cells: Expression):
        quoted = [Func(cell, Value('"'), Value('""'), function="replace") for cell in cells]
        super().__init__(*quoted, output_field=TextField())


def copy_statement(spec: ExportSpec, queryset: QuerySet, base_url: str) -> str:
    """The COPY statement that writes `queryset`'s CSV lines (without the header line).

    Each row is one value, its whole line, copied in binary format (`_ChunkSink` takes
    the frames off): no CSV-format pass over the output looking for what to quote."""
    # base_url is never empty, so its first character decides what neutralise() does to a URL.
    prefix = neutralise(base_url)
    cells: list[Expression] = []
    for column in spec.columns:
        if column.kind == "list":
            # Guarded as the names come (the first name decides), then joined: a stored list
            # stays a plain column to the guard.
            cell = CsvCell(column.expression("postgresql"), kind=column.kind, url_prefix=prefix)
            cells.append(_joined(cell))
        else:
            expression = column.expression("postgresql", csv=True)
            cells.append(CsvCell(expression, kind=column.kind, url_prefix=prefix))
    return _copy(queryset, {"line": CsvLine(*cells)}, "FORMAT binary")


class JsonRecord(Func):
    """A row's record as the JSON path writes it (json.dumps: `{"key": value, ...}`), built by
    concatenation: strings escaped by to_json, dates as YYYY-MM-DD, urls as the list URL, the
    key and a slash, lists as arrays of names ([] when there are none). json_build_object
    would space its colons differently and takes a third longer."""

    output_field = TextField()

    def __init__(self, columns: list[Column], expressions: list[Expression], url_prefix: str):
        super().__init__(*expressions)
        self.columns = columns
        self.url_prefix = url_prefix

    def as_sql(self, compiler, connection, **extra):
        parts: list[str] = []
        params: list = []
        for index, (column, expression) in enumerate(
            zip(self.columns, self.get_source_expressions(), strict=True)
        ):
            sql, own = compiler.compile(expression)
            lead = ("{" if index == 0 else ", ") + json.dumps(column.name) + ": "
            if column.kind == "integer":
                value = f"COALESCE(({sql})::text, 'null')"
            elif column.kind == "date":
                value = f"""COALESCE('"' || to_char({sql}, 'YYYY-MM-DD') || '"', 'null')"""
            elif column.kind == "url":
                value = f"to_json(%s || ({sql})::text || '/')::text"
                own = (self.url_prefix, *own)
            elif column.kind == "records":
                value = f"COALESCE({sql}, '[]')"  # already JSON, as json.dumps writes it
            elif column.kind == "list":
                # Array elements are strings, so '","' only ever separates two of them.
                value = (
                    f"COALESCE(replace(to_json(string_to_array({sql}, chr(31)))::text, "
                    """'","', '", "'), '[]')"""
                )
            else:
                value = f"COALESCE(to_json({sql})::text, 'null')"
            parts.append(f"%s || {value}")
            params += [lead, *own]
        return "(" + " || ".join(parts) + " || '}')", tuple(params)


def json_copy_statement(spec: ExportSpec, queryset: QuerySet, base_url: str) -> str:
    """The COPY statement that writes `queryset`'s JSON records, each the text json_stream
    writes for it. Binary format: each record goes out as its bytes, with no escaping pass
    over them (a CSV-format COPY looks at every byte for quotes and delimiters: a sixth of
    the 300,000-ruling export's time); `_ChunkSink` takes the frames off.

    A spec whose records the database keeps (`stored_json`) reads them: copy_json_stream
    writes the list's address where they hold the marker."""
    if spec.stored_json is not None:
        record = F(spec.stored_json.field)
    else:
        expressions = [column.expression("postgresql") for column in spec.columns]
        record = JsonRecord(spec.columns, expressions, base_url)
    return _copy(queryset, {"record": record}, "FORMAT binary")


class _ChunkSink(io.RawIOBase):
    """Where a binary COPY of one text column goes: each row's value followed by a newline (a
    NULL as an empty line), in ~64 KiB chunks put into a bounded queue.

    The stream is a header (signature, flags, extension), then per row a 16-bit field count
    (1) and a 32-bit length before the value's bytes, then a field count of -1. psycopg2
    writes it a row at a time into `buffered()`, a BufferedWriter in C, which hands this class
    64 KiB blocks: each block's frames come off in one regular-expression split and one join,
    with no Python step per row. That works because text in PostgreSQL never holds a NUL
    byte, so a NUL in the stream can only open a row's frame, and UTF-8 never holds 0xFF, so
    the stream ends with the only 0xFF 0xFF outside a frame. A frame cut between two blocks
    waits for the next one."""

    SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
    HEADER = struct.Struct(">11sii")
    FRAME = re.compile(rb"\x00\x01[\x00-\xff]{4}")  # one field, then its length
    TRAILER = b"\xff\xff"

    def __init__(self, chunks: queue.Queue, stop: threading.Event):
        super().__init__()
        self.chunks = chunks
        self.stop = stop
        self.rest = b""  # the start of a header or frame that the next block completes
        self.started = False  # the header is read
        self.rows = False  # a row has been written: the next one starts with a newline

    def writable(self) -> bool:
        return True

    def buffered(self) -> io.BufferedWriter:
        return io.BufferedWriter(self, buffer_size=COPY_CHUNK_BYTES)

    def write(self, block) -> int:
        size = len(block)
        if self.stop.is_set():
            return size  # the reader has gone; the query is being cancelled
        data = self.rest + bytes(block)
        if not self.started:
            if len(data) < self.HEADER.size:
                self.rest = data
                return size
            signature, _flags, extension = self.HEADER.unpack_from(data)
            if signature != self.SIGNATURE:
                raise ValueError("not a binary COPY stream")
            if len(data) < self.HEADER.size + extension:
                self.rest = data
                return size
            data = data[self.HEADER.size + extension :]
            self.started = True
        pieces = self.FRAME.split(data)  # what comes before, between and after the frames
        last = pieces[-1]
        # A NUL after the last whole frame opens one that is cut; 0xFF, the end of the stream.
        cut = last.find(b"\x00")
        if cut < 0:
            cut = len(last.rstrip(b"\xff"))
        self.rest, pieces[-1] = last[cut:], last[:cut]
        text = b"\n".join(pieces)  # each frame but the first ends the row before it
        if not self.rows and len(pieces) > 1:
            text = text[1:]  # the first frame: nothing before it to end
            self.rows = True
        if text:
            self.put(text)
        return size

    def finish(self) -> None:
        """The stream has ended: only the trailer may be left, and the last row ends."""
        if self.stop.is_set():
            return
        if self.rest != self.TRAILER:
            raise ValueError("the binary COPY stream ended in the middle of a row")
        if self.rows:
            self.put(b"\n")

    def put(self, item) -> None:
        while not self.stop.is_set():
            try:
                self.chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def copy_csv_stream(
    spec: ExportSpec, queryset: QuerySet, base_url: str, version: DataVersion | None = None
) -> Iterator[bytes]:
    """The CSV export through COPY, streamed in constant memory (see `_copy_chunks`)."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=CSV_LINE_END).writerow(spec.headers)
    yield buffer.getvalue().encode()
    yield from _copy_chunks(copy_statement(spec, queryset, base_url), "csv")


def copy_json_stream(
    spec: ExportSpec, queryset: QuerySet, base_url: str, version: DataVersion | None = None
) -> Iterator[bytes]:
    """The JSON export through COPY, streamed in constant memory: the records COPY writes one a
    line, laid out as json_stream lays them out ("[", one record a line, commas between)."""
    yield b"[\n"
    marker = spec.stored_json.marker.encode() if spec.stored_json else b""
    address = json.dumps(base_url, ensure_ascii=False)[1:-1].encode()  # as a JSON string holds it
    pending = b""  # the last byte so far: the last record's line end is not followed by a comma
    for chunk in _copy_chunks(json_copy_statement(spec, queryset, base_url), "json"):
        data = pending + (chunk.replace(marker, address) if marker else chunk)
        pending = data[-1:]
        if len(data) > 1:
            yield data[:-1].replace(b"\n", b",\n")
    yield b"\n]\n" if pending else b"]\n"


def _copy_chunks(statement: str, name: str) -> Iterator[bytes]:
    """The output of a COPY ... TO STDOUT statement, streamed in constant memory.

    A helper thread runs psycopg2's copy_expert on the request's connection into a bounded
    queue of ~64 KiB chunks (see `_ChunkSink`); this generator yields them. If the
    generator is closed early (the client went away), it stops the sink, cancels the query,
    drains the queue and waits for the thread, so the connection is idle and usable again.
    """
    connection.ensure_connection()
    raw = connection.connection
    savepoint = connection.in_atomic_block  # a cancelled COPY must not break the transaction
    cursor = raw.cursor()
    if savepoint:
        cursor.execute("SAVEPOINT tracker_copy_export")
    # The whole export is one statement that lasts as long as the client takes to read it: give
    # it its own time limit instead of the per-statement one (and its own work_mem, no JIT),
    # and restore the connection's settings afterwards.
    names = list(COPY_SETTINGS)
    cursor.execute(
        "SELECT " + ", ".join("current_setting(%s), set_config(%s, %s, false)" for _ in names),
        [value for name in names for value in (name, name, COPY_SETTINGS[name])],
    )
    previous = cursor.fetchone()[::2]
    chunks: queue.Queue = queue.Queue(maxsize=COPY_QUEUE_CHUNKS)
    stop = threading.Event()
    sink = _ChunkSink(chunks, stop)
    outcome: dict = {}

    def run() -> None:
        try:
            buffered = sink.buffered()
            cursor.copy_expert(statement, buffered)
            buffered.flush()
            sink.finish()
        except BaseException as error:  # reported in the request's thread
            outcome["error"] = error
        finally:
            sink.put(_DONE)

    started = time.monotonic()
    thread = threading.Thread(target=run, name=f"{name}-copy-export", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            chunk = chunks.get()
            if chunk is _DONE:
                break
            yield chunk
        finished = True
    finally:
        if not finished:
            stop.set()
            if thread.is_alive():
                raw.cancel()
            while thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    chunks.get(timeout=0.1)
        thread.join()
        if savepoint and "error" in outcome:
            cursor.execute("ROLLBACK TO SAVEPOINT tracker_copy_export")
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, false)" for _ in names),
            [value for name, old in zip(names, previous, strict=True) for value in (name, old)],
        )
        if savepoint:
            cursor.execute("RELEASE SAVEPOINT tracker_copy_export")
        cursor.close()
        if connection.queries_logged:
            elapsed = time.monotonic() - started
            connection.queries_log.append({"sql": statement, "time": f"{elapsed:.3f}"})
    if "error" in outcome:
        with connection.wrap_database_errors:
            raise outcome["error"]


def export_response(
    spec: ExportSpec,
    queryset: QuerySet,
    fmt: str,
    *,
    site_root: str,
    version: DataVersion | None = None,
    as_of: datetime.date | None = None,
    stem: str = "",
) -> StreamingHttpResponse:
    """Stream the whole queryset as `fmt` (csv or json), named `<stem>-<today>.<fmt>` (the
    stem says what the file holds; the list's name when not given).

    `site_root` is the absolute URL of the site's root without a trailing slash
    (e.g. "https://tracker.example"), used for each row's permanent link; `version` is the
    request's data version (for the cached statuses a derived column reads); `as_of` the day
    derived statuses are for (None: today).
    """
    base_url = site_root + reverse(spec.list_url_name)
    spec = spec.on(as_of or timezone.localdate())
    if fmt == "csv":
        stream = copy_csv_stream if copy_supported(spec) else csv_stream
    else:
        stream = copy_json_stream if copy_supported(spec) else json_stream
    rows = stream(spec, queryset, base_url, version)
    response = StreamingHttpResponse(rows, content_type=FORMATS[fmt])
    filename = f"{stem or spec.name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
