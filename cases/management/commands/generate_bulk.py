"""Fill the database with bulk synthetic records, for benchmarks and index checks.

Everything generated is marked synthetic: slugs start with `synthetic-`, captions, titles, names
and summaries with "[synthetic]", and every record cites the Source "Synthetic bulk data"
(slug `synthetic-bulk-data`). Courts are the real ones (loaded from fixtures/courts.json when the
database has none).

Rows are written straight into the tables in batches (COPY on PostgreSQL, executemany on SQLite),
so no model `save()` runs and no history rows are created (as with `bulk_create`). The database
checks still apply, including the trigger that keeps a ruling's date on or after its lawsuits'
filing dates: the generated dates respect it.

The command refuses to run on a database that holds published records that are not synthetic
(real rulings or lawsuits) unless --force is given. Synthetic records from an earlier run are
deleted first, so the same seed always produces the same records.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import random
import sys
import time
from collections.abc import Iterable, Iterator

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from cases.models import (
    Court,
    CourtLevel,
    DatePrecision,
    Effect,
    FundingProgram,
    Ground,
    Jurisdiction,
    JurisdictionKind,
    Lawsuit,
    LawsuitStatus,
    Policy,
    PolicyKind,
    PublicationState,
    Reach,
    Ruling,
    RulingEffect,
    RulingKind,
    RulingOutcome,
    RulingScope,
    Source,
)
from cases.status import rebuild

PREFIX = "synthetic-"
MARK = "[synthetic]"
SOURCE_SLUG = "synthetic-bulk-data"
BATCH = 20_000
# The nullable columns the command writes (NULL in them is written as an empty field).
NULLABLE = {"published_on", "closed_on", "ended_on", "parent_id", "reviews_id"}
PUBLISHED = PublicationState.PUBLISHED.value
FIRST_FILING = datetime.date(2017, 1, 1)
LAST_FILING = datetime.date(2025, 6, 30)
LAST_RULING = datetime.date(2025, 12, 31)

STATES = (  # noqa: SIM905
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
PLACE_WORDS = (  # noqa: SIM905
    "Oak River Lake Spring Cedar Hill Maple Pine Granite Harbor Mill Fair Green Bay North "
    "South East West Clear Stone Silver Iron Rock Elm Ash Willow Brook Ridge Valley Port "
    "Grand"
).split()
SURNAMES = (  # noqa: SIM905
    "Abbott Baker Castillo Dunn Ellis Fischer Garcia Hughes Ibarra Jensen Kaur Lopez Moreno "
    "Nakamura Okafor Patel Quinn Rivera Schmidt Tanaka Underwood Vargas Walsh Xu Young "
    "Zhang"
).split()
SUMMARY_WORDS = (  # noqa: SIM905
    "the court held that conditions attached to the grant exceed the statutory authority of "
    "department and enjoined their enforcement against plaintiffs pending final judgment "
    "while government argued notice access compliance certification requirements were "
    "lawful spending clause separation powers injunction scope nationwide relief declined "
    "granted denied motion stay appeal panel affirmed vacated remanded further proceedings"
).split()
AGENCIES = ("Sessions", "Barr", "Garland", "Bondi", "Trump", "Department of Justice", "Noem")

# Which kinds of ruling each level of court issues.
KINDS_BY_LEVEL = {
    CourtLevel.DISTRICT.value: [
        RulingKind.TRO,
        RulingKind.PRELIMINARY_INJUNCTION,
        RulingKind.PRELIMINARY_INJUNCTION,
        RulingKind.PERMANENT_INJUNCTION,
        RulingKind.SUMMARY_JUDGMENT,
        RulingKind.DISMISSAL,
        RulingKind.ORDER,
        RulingKind.ORDER,
    ],
    CourtLevel.SPECIAL.value: [RulingKind.ORDER, RulingKind.DISMISSAL, RulingKind.SUMMARY_JUDGMENT],
    CourtLevel.APPELLATE.value: [
        RulingKind.STAY,
        RulingKind.APPELLATE_OPINION,
        RulingKind.APPELLATE_OPINION,
        RulingKind.EN_BANC_ORDER,
        RulingKind.EN_BANC_OPINION,
    ],
    CourtLevel.SUPREME.value: [RulingKind.SUPREME_COURT, RulingKind.STAY],
}
EFFECTS_BY_OUTCOME = {
    RulingOutcome.CHALLENGERS.value: [Effect.BLOCKS, Effect.KEEPS_BLOCK],
    RulingOutcome.GOVERNMENT.value: [Effect.UPHOLDS, Effect.LIFTS_BLOCK, Effect.DECLINES],
    RulingOutcome.MIXED.value: [Effect.NARROWS_BLOCK, Effect.BLOCKS, Effect.DECLINES],
    RulingOutcome.PROCEDURAL.value: [Effect.DECLINES],
}
# Who each synthetic effect protects (reach, states): blocks nationwide, narrowings to a state.
REACH_BY_EFFECT = {
    Effect.BLOCKS.value: (Reach.NATIONWIDE.value, ""),
    Effect.NARROWS_BLOCK.value: (Reach.STATES.value, "CA"),
}
SCOPES = [s.value for s in RulingScope]
OUTCOMES = [o.value for o in RulingOutcome]


# --- Writing rows fast ----------------------------------------------------------------------------


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextlib.contextmanager
def export_rows_written_once() -> Iterator[None]:
    """PostgreSQL: the rulings' export rows (RulingExportRow) written once, after the load.

    Their triggers would rewrite a ruling's row with each table that lists it (its lawsuits,
    effects, grounds...), several full rewrites of 300,000 rows that leave the table three times
    its size. They are off while the rows go in and every ruling's row is written at the end.
    Inside the command's transaction: if the load fails, the triggers are back as they were."""
    if connection.vendor != "postgresql":
        yield
        return

    def switch(cursor, triggers, state: str) -> None:
        # A table is altered only with no deferred checks pending (the foreign keys): they
        # are made now, then deferred again as Django's connections have them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name in triggers:
            cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgname LIKE 'ruling\\_export\\_%' ORDER BY 1, 2"
        )
        triggers = cursor.fetchall()
        switch(cursor, triggers, "DISABLE")
    yield
    with connection.cursor() as cursor:
        switch(cursor, triggers, "ENABLE")
        cursor.execute("SELECT cases_refresh_ruling_export(ARRAY(SELECT id FROM cases_ruling))")


class Loader:
    """Writes tuples into a table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, progress):
        self.progress = progress

    def load(self, table: str, columns: list[str], rows: Iterable[tuple], total: int) -> int:
        done = 0
        self.progress(table, 0, total)
        for batch in _batches(rows, BATCH):
            if connection.vendor == "postgresql":
                self._copy(table, columns, batch)
            else:
                self._insert(table, columns, batch)
            done += len(batch)
            self.progress(table, done, total)
        if connection.vendor == "postgresql":
            # Statistics for the triggers' queries on the next tables (the export rows join
            # these): planned for empty tables, a 20,000-row load takes minutes instead of
            # seconds. ANALYZE sees the rows this transaction wrote.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        return done

    @staticmethod
    def _copy(table: str, columns: list[str], batch: list[tuple]) -> None:
        buffer = io.StringIO()
        # None is written as "" like the empty string; FORCE_NULL reads it back as NULL in the
        # nullable columns (where an empty string never occurs).
        csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(batch)
        buffer.seek(0)
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        options = "FORMAT csv"
        nulls = [quote(c) for c in columns if c in NULLABLE]
        if nulls:
            options += f", FORCE_NULL ({', '.join(nulls)})"
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH ({options})", buffer)

    @staticmethod
    def _insert(table: str, columns: list[str], batch: list[tuple]) -> None:
        ops = connection.ops
        rows = [
            tuple(
                ops.adapt_datetimefield_value(v)
                if isinstance(v, datetime.datetime)
                else ops.adapt_datefield_value(v)
                if isinstance(v, datetime.date)
                else v
                for v in row
            )
            for row in batch
        ]
        names = ", ".join(ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        return cursor.fetchone()[0] + 1


# --- Removing an earlier run ----------------------------------------------------------------------

SYNTHETIC_RULINGS = f"SELECT id FROM cases_ruling WHERE summary LIKE '{MARK}%'"
SYNTHETIC_EFFECTS = f"SELECT id FROM cases_rulingeffect WHERE ruling_id IN ({SYNTHETIC_RULINGS})"


def _slugs(table: str) -> str:
    return f"SELECT id FROM {table} WHERE slug LIKE '{PREFIX}%'"


DELETE_SYNTHETIC = [
    f"DELETE FROM cases_rulingeffect_protected WHERE rulingeffect_id IN ({SYNTHETIC_EFFECTS})",
    f"DELETE FROM cases_rulingeffect_parts WHERE rulingeffect_id IN ({SYNTHETIC_EFFECTS})",
    f"DELETE FROM cases_rulingeffect WHERE ruling_id IN ({SYNTHETIC_RULINGS})",
    f"DELETE FROM cases_ruling_lawsuits WHERE ruling_id IN ({SYNTHETIC_RULINGS})",
    f"DELETE FROM cases_ruling_grounds WHERE ruling_id IN ({SYNTHETIC_RULINGS})",
    f"DELETE FROM cases_ruling_sources WHERE ruling_id IN ({SYNTHETIC_RULINGS})",
    f"DELETE FROM cases_ruling WHERE id IN ({SYNTHETIC_RULINGS})",
    f"DELETE FROM cases_lawsuit_plaintiffs WHERE lawsuit_id IN ({_slugs('cases_lawsuit')})",
    f"DELETE FROM cases_lawsuit_policies WHERE lawsuit_id IN ({_slugs('cases_lawsuit')})",
    f"DELETE FROM cases_lawsuit_sources WHERE lawsuit_id IN ({_slugs('cases_lawsuit')})",
    f"DELETE FROM cases_lawsuit_related WHERE from_lawsuit_id IN ({_slugs('cases_lawsuit')})"
    f" OR to_lawsuit_id IN ({_slugs('cases_lawsuit')})",
    f"DELETE FROM cases_lawsuit WHERE slug LIKE '{PREFIX}%'",
    f"DELETE FROM cases_policy_programs WHERE policy_id IN ({_slugs('cases_policy')})",
    f"DELETE FROM cases_policy_targets WHERE policy_id IN ({_slugs('cases_policy')})",
    f"DELETE FROM cases_policy_sources WHERE policy_id IN ({_slugs('cases_policy')})",
    *(
        f"DELETE FROM {table} WHERE policy_id IN ({_slugs('cases_policy')})"
        for table in ("cases_statusinterval", "cases_statusblock", "cases_statusproblem")
    ),
    f"DELETE FROM cases_policy WHERE slug LIKE '{PREFIX}%'",
    f"DELETE FROM cases_jurisdiction_sources WHERE jurisdiction_id IN "
    f"({_slugs('cases_jurisdiction')})",
    f"DELETE FROM cases_jurisdiction WHERE slug LIKE '{PREFIX}%'",
    f"DELETE FROM cases_fundingprogram_sources WHERE fundingprogram_id IN "
    f"({_slugs('cases_fundingprogram')})",
    f"DELETE FROM cases_fundingprogram WHERE slug LIKE '{PREFIX}%'",
    f"DELETE FROM cases_ground WHERE slug LIKE '{PREFIX}%'",
    f"DELETE FROM cases_source WHERE slug = '{SOURCE_SLUG}'",
]


SIZES = {"policies": 60, "programs": 8, "grounds": 12}


class Command(BaseCommand):
    help = (
        "Generate bulk synthetic lawsuits and rulings (marked synthetic) for benchmarks. "
        "Refuses to run on a database with real published records unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rulings", type=int, default=300_000, help="Rulings to generate.")
        parser.add_argument("--lawsuits", type=int, default=100_000, help="Lawsuits to generate.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: same seed, same data."
        )
        parser.add_argument("--policies", type=int, default=60, help="Policies to generate.")
        parser.add_argument("--programs", type=int, default=8, help="Funding programs to generate.")
        parser.add_argument("--grounds", type=int, default=12, help="Legal grounds to generate.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though the database holds real (non-synthetic) published records.",
        )

    def handle(self, *args, rulings: int, lawsuits: int, seed: int, force: bool, **options):
        if rulings < 0 or lawsuits < 1:
            raise CommandError("--lawsuits must be at least 1 and --rulings at least 0.")
        self.sizes = {name: options.get(name, default) for name, default in SIZES.items()}
        if min(self.sizes.values()) < 2:
            raise CommandError("--policies, --programs and --grounds must be at least 2.")
        self.verbosity = options["verbosity"]
        real_rulings = Ruling.objects.published().exclude(summary__startswith=MARK).count()
        real_lawsuits = Lawsuit.objects.published().exclude(slug__startswith=PREFIX).count()
        if (real_rulings or real_lawsuits) and not force:
            raise CommandError(
                f"This database holds {real_rulings} real published ruling(s) and "
                f"{real_lawsuits} real published lawsuit(s). Synthetic data would mix with them: "
                "use an empty database, or --force if you really mean it."
            )
        started = time.monotonic()
        if not Court.objects.exists():
            call_command("loaddata", "fixtures/courts.json", verbosity=0)
        with transaction.atomic():
            with connection.cursor() as cursor:
                for sql in DELETE_SYNTHETIC:
                    cursor.execute(sql)
            with export_rows_written_once():
                counts = self.generate(random.Random(seed), rulings, lawsuits)
            models = [Source, Ground, FundingProgram, Jurisdiction, Policy, Lawsuit, Ruling]
            models.append(RulingEffect)
            models += [
                f.remote_field.through
                for m in (FundingProgram, Jurisdiction, Policy, Lawsuit, Ruling)
                for f in m._meta.many_to_many
            ]
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
            # The rows went in by COPY, past the signals that store statuses: store them now.
            rebuild()
        if connection.vendor == "postgresql":
            # Statistics for the planner and, outside a transaction, the visibility map that
            # lets a count be answered from an index alone, as autovacuum would in time.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(f"Generated synthetic data in {elapsed:.1f} s: {summary}.")

    # --- progress ---------------------------------------------------------------------------------

    def progress(self, table: str, done: int, total: int) -> None:
        if self.verbosity < 1:
            return
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r  {table:<32} {done:>9,} / {total:,}{end}")
        sys.stderr.flush()

    # --- generation -------------------------------------------------------------------------------

    def generate(self, rng: random.Random, n_rulings: int, n_lawsuits: int) -> dict[str, int]:
        now = timezone.now()
        loader = Loader(self.progress)
        counts: dict[str, int] = {}

        source_id = _next_id(Source)
        loader.load(
            "cases_source",
            ["id", "created_at", "updated_at", "slug", "title", "publisher", "author"]
            + ["published_on", "url", "kind", "notes"],
            [
                (
                    source_id,
                    now,
                    now,
                    SOURCE_SLUG,
                    "Synthetic bulk data",
                    "generate_bulk",
                    "",
                    None,
                    "",
                    "reference",
                    "Generated by `manage.py generate_bulk` for benchmarks: not real records.",
                )
            ],
            1,
        )

        ground_start = _next_id(Ground)
        ground_ids = [ground_start + i for i in range(self.sizes["grounds"])]
        loader.load(
            "cases_ground",
            ["id", "slug", "name", "description"],
            [
                (gid, f"{PREFIX}ground-{i}", f"{MARK} Ground {i}", "")
                for i, gid in enumerate(ground_ids)
            ],
            len(ground_ids),
        )

        program_start = _next_id(FundingProgram)
        program_ids = [program_start + i for i in range(self.sizes["programs"])]
        loader.load(
            "cases_fundingprogram",
            ["id", "created_at", "updated_at", "slug", "name", "short_name"]
            + ["administering_office", "statute", "description", "url"],
            [
                (
                    pid,
                    now,
                    now,
                    f"{PREFIX}program-{i}",
                    f"{MARK} Grant Program {i}",
                    f"{MARK} GP {i}",
                    "Office of Synthetic Programs",
                    "",
                    f"{MARK} A grant program.",
                    "",
                )
                for i, pid in enumerate(program_ids)
            ],
            len(program_ids),
        )
        loader.load(
            "cases_fundingprogram_sources",
            ["fundingprogram_id", "source_id"],
            [(pid, source_id) for pid in program_ids],
            len(program_ids),
        )

        # Jurisdictions: a pool of plaintiffs and policy targets.
        n_places = max(20, min(2000, n_lawsuits // 50))
        place_start = _next_id(Jurisdiction)
        kinds = [k.value for k in JurisdictionKind]
        places = []
        for i in range(n_places):
            kind = rng.choice(kinds)
            word = rng.choice(PLACE_WORDS) + rng.choice(("ville", "ton", " City", "field", "dale"))
            places.append(
                (
                    place_start + i,
                    now,
                    now,
                    f"{PREFIX}place-{i}",
                    f"{MARK} {kind.replace('_', ' ').title()} of {word} {i}",
                    kind,
                    rng.choice(STATES),
                )
            )
        place_ids = [p[0] for p in places]
        loader.load(
            "cases_jurisdiction",
            ["id", "created_at", "updated_at", "slug", "name", "kind", "state"],
            places,
            len(places),
        )
        loader.load(
            "cases_jurisdiction_sources",
            ["jurisdiction_id", "source_id"],
            [(pid, source_id) for pid in place_ids],
            len(place_ids),
        )

        # Policies.
        n_policies = self.sizes["policies"]
        policy_start = _next_id(Policy)
        policy_rows = []
        policy_dates = {}
        policy_kinds = [k.value for k in PolicyKind]
        for i in range(n_policies):
            pid = policy_start + i
            issued = FIRST_FILING + datetime.timedelta(days=rng.randrange(0, 2900))
            policy_dates[pid] = issued
            policy_rows.append(
                (
                    pid,
                    now,
                    now,
                    PUBLISHED,
                    f"{PREFIX}policy-{i}",
                    f"{MARK} Policy {i} on federal grant conditions",
                    f"{MARK} P{i}",
                    rng.choice(policy_kinds),
                    "Department of Justice",
                    issued,
                    DatePrecision.DAY.value,
                    "",
                    f"{MARK} Attaches conditions to a federal grant.",
                    None,
                    None,
                    "",
                    "",
                )
            )
        policy_ids = [r[0] for r in policy_rows]
        loader.load(
            "cases_policy",
            ["id", "created_at", "updated_at", "publication_state", "slug", "title", "short_title"]
            + ["kind", "issued_by", "issued_on", "issued_on_precision", "citation", "summary"]
            + ["parent_id", "ended_on", "end_kind", "ended_by"],
            policy_rows,
            n_policies,
        )
        loader.load(
            "cases_policy_programs",
            ["policy_id", "fundingprogram_id"],
            [(pid, rng.choice(program_ids)) for pid in policy_ids],
            n_policies,
        )
        loader.load(
            "cases_policy_targets",
            ["policy_id", "jurisdiction_id"],
            [
                (pid, jid)
                for pid in policy_ids
                for jid in sorted(rng.sample(place_ids, min(3, len(place_ids))))
            ],
            n_policies * min(3, len(place_ids)),
        )
        loader.load(
            "cases_policy_sources",
            ["policy_id", "source_id"],
            [(pid, source_id) for pid in policy_ids],
            n_policies,
        )
        counts["policies"] = n_policies
        counts["jurisdictions"] = n_places

        # Lawsuits, in real district courts (a few courts take most suits, as in life).
        courts = list(Court.objects.order_by("id").values_list("id", "level", "appeals_to_id"))
        districts = [c for c in courts if c[1] == CourtLevel.DISTRICT]
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(districts))]
        rng.shuffle(districts)
        court_level = {c[0]: c[1] for c in courts}
        appeals_to = {c[0]: c[2] for c in courts}
        supreme = next((c[0] for c in courts if c[1] == CourtLevel.SUPREME), None)

        lawsuit_start = _next_id(Lawsuit)
        lawsuit_info: list[tuple[int, str, datetime.date, list[int]]] = []
        span = (LAST_FILING - FIRST_FILING).days
        statuses = [s.value for s in LawsuitStatus]

        def lawsuit_rows() -> Iterator[tuple]:
            chosen_courts = rng.choices(districts, weights=weights, k=n_lawsuits)
            for i in range(n_lawsuits):
                lid = lawsuit_start + i
                court = chosen_courts[i][0]
                filed = FIRST_FILING + datetime.timedelta(days=rng.randrange(span + 1))
                plaintiff = rng.choice(place_ids)
                policies = sorted(rng.sample(policy_ids, rng.choice((1, 1, 1, 2))))
                lawsuit_info.append((lid, court, filed, policies, plaintiff))
                status = rng.choice(statuses)
                closed = (
                    filed + datetime.timedelta(days=rng.randrange(30, 900))
                    if status in (LawsuitStatus.CLOSED, LawsuitStatus.DISMISSED)
                    else None
                )
                agency = rng.choice(AGENCIES)
                yield (
                    lid,
                    now,
                    now,
                    PUBLISHED,
                    f"{PREFIX}lawsuit-{i}",
                    f"{MARK} {places[plaintiff - place_start][4][len(MARK) + 1 :]} v. {agency}",
                    "",
                    court,
                    f"1:{filed:%y}-cv-s{i:06d}",
                    f"{MARK} Judge {rng.choice(SURNAMES)}",
                    filed,
                    DatePrecision.DAY.value,
                    closed,
                    status,
                    agency,
                    f"{MARK} A challenge to federal grant conditions.",
                )

        loader.load(
            "cases_lawsuit",
            ["id", "created_at", "updated_at", "publication_state", "slug", "caption"]
            + ["full_caption", "court_id", "docket_number", "judge", "filed_on"]
            + ["filed_on_precision", "closed_on", "status", "defendants", "summary"],
            lawsuit_rows(),
            n_lawsuits,
        )
        loader.load(
            "cases_lawsuit_plaintiffs",
            ["lawsuit_id", "jurisdiction_id"],
            ((info[0], info[4]) for info in lawsuit_info),
            n_lawsuits,
        )
        loader.load(
            "cases_lawsuit_policies",
            ["lawsuit_id", "policy_id"],
            ((info[0], pid) for info in lawsuit_info for pid in info[3]),
            sum(len(info[3]) for info in lawsuit_info),
        )
        loader.load(
            "cases_lawsuit_sources",
            ["lawsuit_id", "source_id"],
            ((info[0], source_id) for info in lawsuit_info),
            n_lawsuits,
        )
        counts["lawsuits"] = n_lawsuits

        # Rulings: each in one lawsuit (one in twenty in two suits of the same court), dated on
        # or after the filing of every suit it was issued in.
        ruling_start = _next_id(Ruling)
        sentences = [
            " ".join(rng.choice(SUMMARY_WORDS) for _ in range(rng.randrange(8, 16))).capitalize()
            + "."
            for _ in range(400)
        ]
        links: list[tuple[int, int]] = []
        effects: list[tuple] = []
        grounds: list[tuple[int, int]] = []
        effect_start = _next_id(RulingEffect)
        by_court: dict[str, list[int]] = {}
        for index, info in enumerate(lawsuit_info):
            by_court.setdefault(info[1], []).append(index)

        def ruling_rows() -> Iterator[tuple]:
            for i in range(n_rulings):
                rid = ruling_start + i
                suit = lawsuit_info[rng.randrange(n_lawsuits)]
                suits = [suit]
                if rng.random() < 0.05:
                    other = lawsuit_info[rng.choice(by_court[suit[1]])]
                    if other[0] != suit[0]:
                        suits.append(other)
                latest = max(s[2] for s in suits)
                roll = rng.random()
                court = suit[1]
                if roll < 0.03 and supreme:
                    court = supreme
                elif roll < 0.22 and appeals_to.get(court):
                    court = appeals_to[court]
                room = max(0, (LAST_RULING - latest).days)
                decided = latest + datetime.timedelta(days=rng.randrange(min(room, 900) + 1))
                outcome = rng.choice(OUTCOMES)
                kind = rng.choice(KINDS_BY_LEVEL[court_level[court]])
                for s in sorted({s[0] for s in suits}):
                    links.append((rid, s))
                policies = suit[3]
                for n, pid in enumerate(policies[: rng.choice((1, 1, 1, 2))]):
                    effects.append(
                        (
                            effect_start + len(effects),
                            now,
                            now,
                            rid,
                            pid,
                            effect := rng.choice(EFFECTS_BY_OUTCOME[outcome]).value,
                            "" if n == 0 else f"{MARK} notice and access conditions",
                            *REACH_BY_EFFECT.get(effect, ("", "")),
                            "",
                        )
                    )
                for gid in sorted(rng.sample(ground_ids, rng.choice((0, 1, 1, 2)))):
                    grounds.append((rid, gid))
                summary = " ".join(rng.choice(sentences) for _ in range(3))
                yield (
                    rid,
                    now,
                    now,
                    PUBLISHED,
                    court,
                    f"{decided:%y}-s{i:06d}",
                    decided,
                    kind.value,
                    outcome,
                    rng.choice(SCOPES),
                    f"{MARK} {rng.choice(SURNAMES)}",
                    f"{rng.randrange(100, 999)} F. Supp. 3d {rng.randrange(1, 1500)}"
                    if rng.random() < 0.4
                    else "",
                    None,
                    "",
                    f"{MARK} {summary}",
                )

        loader.load(
            "cases_ruling",
            ["id", "created_at", "updated_at", "publication_state", "court_id", "docket_number"]
            + ["decided_on", "kind", "outcome", "scope", "judges", "citation", "reviews_id"]
            + ["disposition", "summary"],
            ruling_rows(),
            n_rulings,
        )
        loader.load("cases_ruling_lawsuits", ["ruling_id", "lawsuit_id"], links, len(links))
        loader.load(
            "cases_rulingeffect",
            [
                "id",
                "created_at",
                "updated_at",
                "ruling_id",
                "policy_id",
                "effect",
                "detail",
                "reach",
                "states",
                "holding",
            ],
            effects,
            len(effects),
        )
        loader.load("cases_ruling_grounds", ["ruling_id", "ground_id"], grounds, len(grounds))
        loader.load(
            "cases_ruling_sources",
            ["ruling_id", "source_id"],
            ((ruling_start + i, source_id) for i in range(n_rulings)),
            n_rulings,
        )
        counts["rulings"] = n_rulings
        counts["ruling effects"] = len(effects)
        return counts
