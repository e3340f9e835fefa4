"""The CSV exports through PostgreSQL's COPY: byte-identical to the Python path, one query,
streamed, and safe when the client goes away half-way."""

import csv
import datetime
import io
import queue
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import exports
from cases.models import Court, Effect, Ruling
from cases.selectors import published_rulings
from tests.conftest import shared_data
from tests.factories import (
    FundingProgramFactory,
    GroundFactory,
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="COPY ... TO STDOUT is PostgreSQL's; SQLite always uses the Python path "
    "(CI runs this file again on PostgreSQL)",
)

NASTY = [
    "=1+1",
    "+cmd",
    "-2",
    "@SUM(A1)",
    "\tTabbed",
    "\rCarriage",
    "\nNewline first",
    'She said "no", then left',
    "comma, separated, text",
    "line one\nline two\r\nline three",
    "Zürich – São Paulo – Łódź – 東京 – 😀",
    "",
    "'already quoted",
    "  leading spaces",
    "a=b",
    "; separator-like ;",
    " =1+1",
    "\u00a0+1",
    "\u3000-1",
    "\u200b@SUM(A1)",
    "\ufeff=1",
    "\uff1d1+1",
    " \uff20x",
    "\u00a0plain",
]

# Every list with a few filters, including ones that make the query DISTINCT.
URLS = [
    "/rulings/",
    "/rulings/?sort=decided_on",
    "/rulings/?court=ilnd&court=cand",
    "/rulings/?kind=tro&kind=order&outcome=mixed&outcome=challengers",
    "/rulings/?sort=court&scope=nationwide&scope=none",
    "/rulings/?q=said",
    "/lawsuits/",
    "/lawsuits/?status=pending&status=closed&sort=caption",
    "/lawsuits/?court=ilnd",
    "/programs/",
    "/policies/?as_of=2018-01-15",
    "/courts/",
    "/courts/?has_cases=true&sort=id",
    "/jurisdictions/",
    "/jurisdictions/?sort=state",
    "/policies/",
]


@shared_data
def nasty_data() -> None:
    """Every court, and records of every kind whose text is hard to quote or looks like a formula
    (shared by the tests that only read them)."""
    call_command("loaddata", "fixtures/courts.json", verbosity=0)
    courts = [Court.objects.get(pk=pk) for pk in ("ilnd", "cand", "ca7")]
    grounds = [GroundFactory(name=f"{text} ground {i}") for i, text in enumerate(NASTY[:5])]
    programs = [FundingProgramFactory(short_name=text or "empty") for text in NASTY[:4]]
    for i, text in enumerate(NASTY):
        policy = PolicyFactory(short_title=text, title=text or "untitled", summary=text)
        policy.programs.set(programs[: i % 4])
        place = JurisdictionFactory(name=f"{text} {i}")
        policy.targets.add(place)
        suits = [
            LawsuitFactory(
                caption=text,
                court=courts[i % 2],
                judge=text,
                summary=text,
                status=["pending", "closed"][i % 2],
                plaintiffs=[place] if i % 3 else [],
                policies=[policy] if i % 2 else [],
            )
            for _ in range(1 + i % 3)
        ]
        ruling = RulingFactory(
            court=courts[i % 3],
            lawsuits=suits,
            decided_on=datetime.date(2018, 1, 1) + datetime.timedelta(days=i % 4),
            kind=["tro", "order", "preliminary_injunction"][i % 3],
            outcome=["mixed", "challengers", "government"][i % 3],
            scope=["nationwide", "none"][i % 2],
            judges=text,
            citation=text,
            docket_number=text,
            summary=text,
        )
        ruling.grounds.set(grounds[: i % 4])
        if i % 4:
            RulingEffectFactory(ruling=ruling, policy=policy, effect=Effect.BLOCKS)
        if i % 5 == 1:
            RulingEffectFactory(ruling=ruling, policy=PolicyFactory(short_title=NASTY[i - 1]))
    # A review (reviews_id not NULL) and an empty list everywhere for one more ruling.
    first = Ruling.objects.order_by("pk").first()
    RulingFactory(court=courts[2], reviews=first, disposition="affirmed", judges="", summary="")


def python_path(monkeypatch):
    monkeypatch.setattr(exports, "copy_supported", lambda spec: False)


def download(client, url) -> bytes:
    response = client.get(url + ("&" if "?" in url else "?") + "format=csv")
    assert response.status_code == 200, url
    assert response.streaming
    return b"".join(response.streaming_content)


@postgresql_only
@pytest.mark.parametrize("url", URLS)
def test_copy_and_python_paths_write_byte_identical_csv(client, nasty_data, monkeypatch, url):
    through_copy = download(client, url)
    python_path(monkeypatch)
    through_python = download(client, url)

    assert through_copy == through_python
    assert through_copy.count(b"\n") > 1  # not just a header


@postgresql_only
@pytest.mark.parametrize("spec", exports.EXPORTS, ids=lambda spec: spec.name)
def test_every_spec_compares_equal_in_process(nasty_data, spec):
    from cases import views

    page = next(page for page in views.__dict__.values() if getattr(page, "export", None) is spec)
    queryset = page.filterset({}, queryset=page.queryset()).qs
    base = "https://tracker.example/list/"
    python = "".join(exports.csv_stream(spec, queryset, base)).encode()
    assert exports.copy_supported(spec)
    copied = b"".join(exports.copy_csv_stream(spec, queryset, base))
    assert copied == python


@postgresql_only
def test_the_export_is_one_copy_query_after_validation(client, nasty_data):
    with CaptureQueriesContext(connection) as plain:
        download(client, "/rulings/")
    with CaptureQueriesContext(connection) as filtered:
        download(client, "/rulings/?court=ilnd&kind=tro")

    for queries in (plain, filtered):
        sqls = [q["sql"] for q in queries]
        # The data version, the courts (to validate `court`, when given); then the COPY.
        assert sqls[-1].startswith("COPY (SELECT")
        assert sqls[-1].endswith("TO STDOUT WITH (FORMAT binary)")
        assert not any("cases_ruling" in sql for sql in sqls[:-1])
        assert len(sqls) <= 3


@postgresql_only
def test_policies_are_copied_too_with_their_stored_statuses(client, nasty_data):
    """Statuses are stored (cases/status/store.py), so the policies export is one COPY like
    the others, its status columns a lookup per row."""
    with CaptureQueriesContext(connection) as queries:
        rows = list(csv.DictReader(io.StringIO(download(client, "/policies/").decode())))

    assert queries[-1]["sql"].startswith("COPY (SELECT")
    assert len(queries) == 2  # the data version, then the COPY
    blocked = {row["status"] for row in rows if row["status"] == "blocked_nationwide"}
    assert blocked and all(row["status"] and row["status_detail"] for row in rows)


@postgresql_only
def test_a_client_that_leaves_early_leaves_the_connection_usable(db):
    call_command("generate_bulk", rulings=4000, lawsuits=200, seed=1, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    # The generator the response streams; a server closes it when the client disconnects.
    stream = exports.copy_csv_stream(exports.RULING_EXPORT, published_rulings(), "http://x/")
    header = next(stream)
    first = next(stream)  # the COPY is now running, the queue filling up
    assert header.startswith(b'"id","url"')
    assert len(first) >= exports.COPY_CHUNK_BYTES // 2  # a block of rows, less their frames

    stream.close()

    assert not any(t.name == "csv-copy-export" for t in threading.enumerate())
    assert not connection.connection.isexecuting()
    assert Ruling.objects.count() == 4000  # the same connection answers at once
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != exports.COPY_STATEMENT_TIMEOUT
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] != exports.COPY_WORK_MEM
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == jit  # as it was (the COPY runs without JIT)
        cursor.execute("SHOW max_parallel_workers_per_gather")
        # The COPY had two parallel workers; the pages' queries have what the settings give.
        assert cursor.fetchone()[0] == str(settings.DB_PARALLEL_WORKERS)


@postgresql_only
def test_a_whole_export_streams_in_chunks(client, db):
    call_command("generate_bulk", rulings=3000, lawsuits=200, seed=2, verbosity=0)

    response = client.get("/rulings/?format=csv")
    chunks = list(response.streaming_content)

    assert len(chunks) > 3
    assert b"".join(chunks).count(b"\n") == 3001


def test_both_paths_end_lines_with_a_newline(client, nasty_data):
    text = download(client, "/lawsuits/")

    assert text.startswith(b'"slug","url","caption"')
    assert b"\r\n" not in text.replace(b'line two\r\nline three"', b"")


@postgresql_only
def test_copy_and_python_paths_write_byte_identical_json_effects(client, nasty_data, monkeypatch):
    """A ruling's effects as objects (who each protects) come out the same both ways."""
    ruling = Ruling.objects.filter(effects__isnull=False).first()
    effect = ruling.effects.first()
    effect.reach, effect.states = "states", "CA  IL"
    effect.save()
    effect.protected.set([JurisdictionFactory(name='=evil "quoted", name')])

    def json_download() -> bytes:
        response = client.get("/rulings/?format=json")
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    through_copy = json_download()
    python_path(monkeypatch)
    through_python = json_download()

    assert through_copy == through_python
    assert b'"protects": "every government within CA, IL"' in through_copy


# --- The sink of the binary COPY (CSV lines and JSON records) -------------------------------------

ROW_VALUES = ["{}", None, "", 'line\nbreak \x01\x02 \\ quote"', "Zürich – 東京 – 😀", "x" * 70_000]


def binary_copy(values: list[str | None], extension: bytes = b"") -> list[bytes]:
    """A binary COPY stream of one text column, as libpq hands it over: the header with the
    first row, then one row a message, then the trailer."""
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + len(extension).to_bytes(4, "big")
    rows = [
        (1).to_bytes(2, "big")
        + (-1 if value is None else len(value.encode())).to_bytes(4, "big", signed=True)
        + (b"" if value is None else value.encode())
        for value in values
    ]
    trailer = (-1).to_bytes(2, "big", signed=True)
    if not rows:
        return [header + extension + trailer]
    return [header + extension + rows[0], *rows[1:], trailer]


def through_sink(writes: list[bytes]) -> bytes:
    chunks: queue.Queue = queue.Queue()
    sink = exports._ChunkSink(chunks, threading.Event())
    for data in writes:
        sink.write(data)
    sink.finish()
    return b"".join(chunks.get() for _ in range(chunks.qsize()))


EXPECTED_LINES = b"".join((value or "").encode() + b"\n" for value in ROW_VALUES)


def test_the_copy_sink_writes_one_line_a_row_however_the_stream_is_cut():
    """Each row's value and a newline (a NULL as an empty line), whether the stream comes a row
    a write, in one piece, a byte at a time or cut anywhere, with or without a header
    extension."""
    for extension in (b"", b"\x00\x01\x02"):
        whole = b"".join(binary_copy(ROW_VALUES, extension))
        assert through_sink(binary_copy(ROW_VALUES, extension)) == EXPECTED_LINES
        assert through_sink([whole]) == EXPECTED_LINES
        assert through_sink([whole[i : i + 1] for i in range(len(whole))]) == EXPECTED_LINES
        for cut in range(1, 40):
            assert through_sink([whole[:cut], whole[cut:]]) == EXPECTED_LINES
    # No rows: nothing at all. One NULL: one empty line.
    assert through_sink(binary_copy([])) == b""
    none = b"".join(binary_copy([None]))
    assert through_sink([none[i : i + 1] for i in range(len(none))]) == b"\n"


def test_the_copy_sink_refuses_what_is_not_one_text_column():
    with pytest.raises(ValueError, match="not a binary COPY"):
        through_sink([b"id,name\n1,two\n" * 3])
    two_fields = binary_copy(["a"])
    two_fields[0] = two_fields[0][:19] + (2).to_bytes(2, "big") + two_fields[0][21:]
    with pytest.raises(ValueError, match="middle of a row"):
        through_sink(two_fields)
    cut_short = b"".join(binary_copy(["a", "b"]))[:-3]
    with pytest.raises(ValueError, match="middle of a row"):
        through_sink([cut_short])


@postgresql_only
def test_the_copy_sink_reads_what_postgresql_writes(db):
    """The same lines from a real binary COPY, through psycopg2 as the export runs it."""
    literals = ", ".join("(NULL::text)" if value is None else "(%s::text)" for value in ROW_VALUES)
    params = [value for value in ROW_VALUES if value is not None]
    with connection.cursor() as cursor:
        select = cursor.mogrify(f"SELECT * FROM (VALUES {literals}) AS v", params).decode()
    statement = f"COPY ({select}) TO STDOUT WITH (FORMAT binary)"
    chunks = exports._copy_chunks(statement, "test")
    assert b"".join(chunks) == EXPECTED_LINES
