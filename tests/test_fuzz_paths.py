"""Fuzzing the public URLs' paths and parameter sizes, and the static 500 page (hypothesis).

Whatever a visitor puts in the path of a detail page (`/rulings/<int:pk>/`, `/lawsuits/<slug>/`,
`/courts/<str:pk>/`, the per-lawsuit and per-policy feeds...), or however long or numerous the
query parameters of a list, the site never answers 5xx, and an error page (400, 404) never shows
internals: no traceback, no SQL, no settings, no file path on the server.

Paths are sent three ways: percent-encoded with `urllib.parse.quote` (as a browser sends them),
raw through the test client (which percent-decodes them itself), and as raw bytes straight into
the WSGI environ's PATH_INFO, as a server hands them on after decoding, so NUL bytes and bytes
that are not UTF-8 reach Django too.

Last, with DEBUG off, a view that raises answers the project's static 500 page and nothing of
the exception.

The example budget is small and fixed and the search is derandomized, so every run (and every
database) tries the same inputs.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cases import urls as case_urls
from cases.models import Ruling
from tests import test_fuzz
from tests.test_fuzz import (
    CHARACTERS,
    COURT_IDS,
    FUZZ,
    JURISDICTION_SLUGS,
    LAWSUIT_SLUGS,
    LONG_TEXT,
    NEAR_VALID,
    POLICY_SLUGS,
    PROGRAM_SLUGS,
    SPECIAL_TEXT,
    TEXT,
)

# The fixtures of the query-string fuzzer: its linked records, a client that answers a server
# error with a 500 instead of raising it, and the tracebacks of those 500s.
records = test_fuzz.records
client = test_fuzz.client
server_errors = test_fuzz.server_errors

# Modest budgets: the whole file runs in seconds on SQLite and PostgreSQL.
PATH_FUZZ = settings(FUZZ, max_examples=300)
PARAM_FUZZ = settings(FUZZ, max_examples=60)

# --- What an error page must never show ---------------------------------------------------------

LEAK_MARKERS = [
    "Traceback",
    'File "',
    "SELECT ",
    "settings",
    "DATABASES",
    "SECRET_KEY",
    "/work/",
    str(django_settings.BASE_DIR),
]
SERVER_500_PAGE = (Path(django_settings.BASE_DIR) / "templates" / "500.html").read_bytes()


def leaked(body: bytes, sent: str) -> list[str]:
    """The internals markers in `body`, leaving out any the request itself carried (pages
    echo their own path, and a 400 may quote the parameter it refuses)."""
    text = body.decode("utf-8", "replace")
    echoed = (sent + "\n" + unquote(sent)).lower()
    return [marker for marker in LEAK_MARKERS if marker in text and marker.lower() not in echoed]


def fetch(
    client: Client, server_errors: list[str], url: str, **environ: str
) -> tuple[int, bytes, str]:
    """GET `url` (with any WSGI environ overrides), in a savepoint, and check it answered < 500
    without leaking internals. Returns the status, the body and the Content-Type."""
    server_errors.clear()
    # A savepoint per request: a database error in one example must not abort the transaction
    # (on PostgreSQL) that every later example runs in.
    savepoint = transaction.savepoint()
    try:
        response = client.get(url, **environ)
        try:
            body = b"".join(response.streaming_content) if response.streaming else response.content
        except Exception:
            pytest.fail(
                f"{describe(url, environ)}\nfailed while streaming:\n{traceback.format_exc()}"
            )
    finally:
        transaction.savepoint_rollback(savepoint)

    status = response.status_code
    where = describe(url, environ)
    errors = "\n".join(server_errors)
    assert status < 500, f"{where}\nanswered {status}:\n{errors}"
    if status in (400, 404):
        sent = url + "\n" + "\n".join(environ.values())
        found = leaked(body, sent)
        assert not found, f"{where}\n{status} body shows {found}:\n{body[:2000]!r}"
    return status, body, response.get("Content-Type", "")


def describe(url: str, environ: dict[str, str]) -> str:
    shown = url if len(url) <= 300 else f"{url[:300]}... ({len(url)} characters)"
    for key, value in environ.items():
        raw = value.encode("latin-1")
        shown += f"\n{key}={raw[:300]!r}" + (f"... ({len(raw)} bytes)" if len(raw) > 300 else "")
    return shown


# --- 1. The path segments of every detail URL ---------------------------------------------------

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def detail_patterns() -> list[tuple[str, str]]:
    """Each URL pattern of `cases.urls` that takes a path parameter, as a format string with
    `{}` in place of the parameter, and the parameter's converter."""
    found = []
    for pattern in case_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        match = CONVERTER.search(route)
        if match:
            assert len(CONVERTER.findall(route)) == 1, route
            found.append(("/" + CONVERTER.sub("{}", route), match["kind"] or "str"))
    return found


DETAIL_PATTERNS = detail_patterns()
DETAIL_TEMPLATES = [template for template, _ in DETAIL_PATTERNS]


def test_every_detail_pattern_is_fuzzed():
    """A new detail URL is fuzzed as soon as it is added to cases/urls.py."""
    assert set(DETAIL_TEMPLATES) >= {
        "/rulings/{}/",
        "/lawsuits/{}/",
        "/lawsuits/{}/feed/",
        "/policies/{}/",
        "/policies/{}/feed/",
        "/programs/{}/",
        "/courts/{}/",
        "/jurisdictions/{}/",
    }


HUGE_INTEGERS = [
    "0",
    "00",
    "01",
    "-1",
    "1",
    "2",
    "2147483647",
    "2147483648",  # past a 32-bit integer
    "9223372036854775807",
    "9223372036854775808",  # past a 64-bit integer (PostgreSQL bigint, SQLite integer)
    "18446744073709551616",
    "99999999999999999999",
    "9" * 400,
    "1" * 10_000,
]
DOTS_AND_SLASHES = [
    ".",
    "..",
    "...",
    "%2e",
    "%2e%2e",
    "%2E%2E%2F",
    "../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2F",
    "a%2Fb",
    "a/b",
    "%5c",
    "..\\..\\windows",
    "//",
    "%252e%252e",  # double encoded
    ".git",
    "__init__.py",
    "settings.py",
    "-",
    "_",
    "a.b",
    "~",
    ";",
    "a;b=c",
    "%3F",
    "%23",
    "?",
    "#",
]
NUL_AND_BROKEN = [
    "\x00",
    "a\x00b",
    "%00",
    "a%00b",
    "%",
    "%zz",
    "%ff",
    "%C0%AF",
    "%ED%A0%80",  # an encoded surrogate
    "%E2%80%AE",
]
LONG_SEGMENTS = ["a" * 10_000, "-" * 100_000, "é" * 5_000, "ilnd" * 2_500, "😀" * 2_000]
KNOWN = [*COURT_IDS, *LAWSUIT_SLUGS, *POLICY_SLUGS, *PROGRAM_SLUGS, *JURISDICTION_SLUGS]

SEGMENTS = st.one_of(
    st.sampled_from(KNOWN),
    st.sampled_from(HUGE_INTEGERS),
    st.integers().map(str),
    st.sampled_from(DOTS_AND_SLASHES),
    st.sampled_from(NUL_AND_BROKEN),
    st.sampled_from(NEAR_VALID),
    st.sampled_from(SPECIAL_TEXT),
    st.just(""),
    TEXT,
    st.text(CHARACTERS, min_size=1, max_size=8),
    LONG_TEXT,
    st.sampled_from(LONG_SEGMENTS),
)
# How the segment is put in the URL.
QUOTED = "quote"  # percent-encoded, "/" too: what a browser sends for an odd slug
QUOTED_KEEP_SLASH = "quote-keep-slash"
RAW = "raw"  # as is, through the client (which splits on "?" and "#" and decodes "%xx")
ENVIRON = "environ"  # the path's bytes straight into PATH_INFO, as a server passes them on
MODES = [QUOTED, QUOTED_KEEP_SLASH, RAW, ENVIRON]


def request_for(template: str, segment: str, mode: str) -> tuple[str, dict[str, str]]:
    """The URL to GET and the WSGI environ overrides for `segment` sent in `mode`."""
    if mode == QUOTED:
        return template.format(quote(segment, safe="")), {}
    if mode == QUOTED_KEEP_SLASH:
        return template.format(quote(segment, safe="/")), {}
    if mode == RAW:
        return template.format(segment), {}
    # WSGI carries PATH_INFO as bytes decoded as latin-1; Django re-encodes and decodes it.
    # (A lone surrogate such as "\udcff" stands for the byte it escapes, here 0xff.)
    raw = segment.encode("utf-8", "surrogateescape")
    path = template.format("{}").encode().replace(b"{}", raw)
    return template.format(quote(raw, safe="")), {"PATH_INFO": path.decode("latin-1")}


def check_detail(client, server_errors, template: str, segment: str, mode: str) -> None:
    url, environ = request_for(template, segment, mode)
    status, body, content_type = fetch(client, server_errors, url, **environ)
    if status == 404 and content_type.startswith("text/html"):
        # The project's own 404 page, not Django's bare default.
        assert b"<h1>Not found</h1>" in body, f"{describe(url, environ)}\n404 page: {body[:500]!r}"


@PATH_FUZZ
@given(template=st.sampled_from(DETAIL_TEMPLATES), segment=SEGMENTS, mode=st.sampled_from(MODES))
@example(template="/rulings/{}/", segment="99999999999999999999", mode=RAW)
@example(template="/rulings/{}/", segment="9223372036854775808", mode=RAW)
@example(template="/rulings/{}/", segment="9" * 400, mode=RAW)
@example(template="/rulings/{}/", segment="-1", mode=RAW)
@example(template="/courts/{}/", segment="\x00", mode=QUOTED)
@example(template="/courts/{}/", segment="\x00", mode=ENVIRON)
@example(template="/courts/{}/", segment="ilnd\x00", mode=QUOTED)
@example(template="/courts/{}/", segment="a" * 10_000, mode=QUOTED)
@example(template="/courts/{}/", segment="-" * 100_000, mode=RAW)
@example(template="/courts/{}/", segment="é" * 5_000, mode=QUOTED)
@example(template="/courts/{}/", segment="..", mode=QUOTED)
@example(template="/courts/{}/", segment="../../settings.py", mode=QUOTED)
@example(template="/courts/{}/", segment="%ff", mode=RAW)
@example(template="/courts/{}/", segment="' OR '1'='1", mode=QUOTED)
@example(template="/courts/{}/", segment="%", mode=QUOTED)
@example(template="/courts/{}/", segment="_", mode=QUOTED)
@example(template="/courts/{}/", segment="😀", mode=ENVIRON)
@example(template="/courts/{}/", segment="\udcff", mode=ENVIRON)  # a lone byte 0xff
@example(template="/lawsuits/{}/", segment="chicago-v-sessions\x00", mode=ENVIRON)
@example(template="/lawsuits/{}/feed/", segment="philadelphia-v-sessions", mode=RAW)  # a draft
@example(template="/policies/{}/feed/", segment="draft-policy", mode=RAW)
@example(template="/policies/{}/", segment="a" * 10_000, mode=RAW)
@example(template="/programs/{}/", segment="byrne-jag/../../", mode=QUOTED_KEEP_SLASH)
@example(template="/jurisdictions/{}/", segment="%2e%2e", mode=RAW)
def test_detail_paths_never_fail(records, client, server_errors, template, segment, mode):
    check_detail(client, server_errors, template, segment, mode)


@PATH_FUZZ
@given(
    template=st.sampled_from(DETAIL_TEMPLATES),
    raw=st.one_of(st.binary(max_size=40), st.binary(min_size=500, max_size=5_000)),
)
@example(template="/courts/{}/", raw=b"\x00")
@example(template="/courts/{}/", raw=b"\xff\xfe")
@example(template="/courts/{}/", raw=b"\xc0\xaf")
@example(template="/courts/{}/", raw=b"\xed\xa0\x80")  # a UTF-8 encoded surrogate
@example(template="/rulings/{}/", raw=b"1\x00")
@example(template="/lawsuits/{}/feed/", raw=b"\x80")
def test_detail_paths_with_arbitrary_bytes(records, client, server_errors, template, raw):
    """Any bytes, valid UTF-8 or not, in PATH_INFO (a server decodes %xx before Django)."""
    prefix, suffix = (part.encode() for part in template.split("{}"))
    url = template.format(quote(raw, safe=""))
    status, body, content_type = fetch(
        client, server_errors, url, PATH_INFO=(prefix + raw + suffix).decode("latin-1")
    )
    if status == 404 and content_type.startswith("text/html"):
        assert b"<h1>Not found</h1>" in body, f"{url}\n404 page: {body[:500]!r}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("segment", ["\x00", "ilnd\x00"])
def test_court_pk_with_a_nul_byte(records, client, server_errors, segment, mode):
    """A NUL in a court id (PostgreSQL refuses a string with NUL in it) never reaches the
    database: court ids are slugs, so such an address is a 404, never a 500."""
    check_detail(client, server_errors, "/courts/{}/", segment, mode)


def test_real_records_still_answer(records, client, server_errors):
    """The fuzzed patterns do serve their published records (so the fuzzer is not only
    knocking on URLs that never resolve)."""
    ruling = Ruling.objects.published().order_by("pk").first()
    for url in [
        f"/rulings/{ruling.pk}/",
        "/lawsuits/chicago-v-sessions/",
        "/lawsuits/chicago-v-sessions/feed/",
        "/policies/sanctuary-eo/",
        "/policies/sanctuary-eo/feed/",
        "/programs/byrne-jag/",
        "/courts/ilnd/",
        "/jurisdictions/chicago/",
    ]:
        status, _, _ = fetch(client, server_errors, url)
        assert status == 200, f"{url} answered {status}"


# --- 2. Over-long and over-numerous parameters on every list ------------------------------------

LIST_PATHS = [
    "/rulings/",
    "/lawsuits/",
    "/policies/",
    "/programs/",
    "/courts/",
    "/jurisdictions/",
]
LIST_URLS = [
    *LIST_PATHS,
    "/timeline/",
    "/rulings/feed/",
    *(f"{path}?format={fmt}" for path in LIST_PATHS for fmt in ("csv", "json")),
]
MAX_FIELDS = django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def long_value(name: str, length: int) -> str:
    return f"{name}=" + "x" * length


def repeated(name: str, value: str, count: int) -> str:
    return "&".join([f"{name}={value}"] * count)


def distinct_keys(count: int) -> str:
    return "&".join(f"k{index}=1" for index in range(count))


SHAPES = {
    "q of 10,000 characters": long_value("q", 10_000),
    "q of 100,000 characters": long_value("q", 100_000),
    "court of 100,000 characters": long_value("court", 100_000),
    "1,000 court=": repeated("court", "ilnd", 1_000),
    "5,000 court=": repeated("court", "ilnd", 5_000),
    "1,000 distinct keys": distinct_keys(1_000),
    "5,000 distinct keys": distinct_keys(5_000),
}


def with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


def check_params(client, server_errors, url: str, query: str) -> None:
    full = with_query(url, query)
    # Django counts the fields as Python's parse_qsl does: one more than the separators.
    fields = 1 + full.split("?", 1)[1].count("&")
    status, _, _ = fetch(client, server_errors, full)
    assert status in (200, 400), f"{describe(full, {})}\nwith {fields} fields answered {status}"
    if fields > MAX_FIELDS:
        # DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses the query string with a 400.
        assert status == 400, f"{describe(full, {})}\nwith {fields} fields answered {status}"


@pytest.mark.parametrize("url", LIST_URLS)
def test_lists_take_huge_parameters(records, client, server_errors, url):
    """Every shape on every list (one test per URL: the records are loaded once for all)."""
    failures = []
    for shape, query in SHAPES.items():
        try:
            check_params(client, server_errors, url, query)
        except AssertionError as error:
            failures.append(f"--- {shape}\n{error}")
    assert not failures, "\n".join(failures)


PARAM_NAMES = ["q", "court", "circuit", "policy", "page", "sort", "after", "before", "x", "k"]


@st.composite
def big_queries(draw) -> str:
    """A query string with one long value, or many parameters around Django's field limit."""
    name = draw(st.sampled_from(PARAM_NAMES))
    if draw(st.booleans()):
        length = draw(st.one_of(st.sampled_from([501, 10_000, 100_000]), st.integers(0, 50_000)))
        piece = draw(st.sampled_from(["x", "é", "%", "%25", "%00", "😀", "&", "court"]))
        return f"{name}={quote((piece * length)[:length], safe='%')}"
    count = draw(
        st.one_of(
            st.sampled_from([MAX_FIELDS - 2, MAX_FIELDS - 1, MAX_FIELDS, MAX_FIELDS + 1, 5_000]),
            st.integers(1, 6_000),
        )
    )
    value = draw(st.sampled_from(["ilnd", "", "1", "x" * 100]))
    if draw(st.booleans()):
        return repeated(name, value, count)
    return "&".join(f"{name}{index}={value}" for index in range(count))


@PARAM_FUZZ
@given(url=st.sampled_from(LIST_URLS), query=big_queries())
@example(url="/rulings/", query=repeated("court", "ilnd", MAX_FIELDS))
@example(url="/rulings/?format=csv", query=repeated("court", "ilnd", MAX_FIELDS - 1))
@example(url="/rulings/?format=json", query=repeated("court", "ilnd", MAX_FIELDS))
@example(url="/timeline/", query=distinct_keys(MAX_FIELDS + 1))
@example(url="/rulings/feed/", query=repeated("court", "ilnd", MAX_FIELDS))
def test_lists_take_any_parameter_size(records, client, server_errors, url, query):
    check_params(client, server_errors, url, query)


# --- 3. A failing view answers the static 500 page ----------------------------------------------

SECRET_MESSAGE = "kaboom-4f1c SELECT token FROM cases_secret WHERE settings.SECRET_KEY"


def _boom(*args, **kwargs):
    raise Exception(SECRET_MESSAGE)


BROKEN = [
    # the URL, and a module attribute its view looks up when it is called
    ("/", "cases.dashboard.render"),
    ("/rulings/{ruling}/", "cases.views.published_rulings"),
    ("/lawsuits/chicago-v-sessions/", "cases.views.published_lawsuits"),
    ("/policies/sanctuary-eo/", "cases.views.published_policies"),
    ("/courts/ilnd/", "cases.views.render"),  # as a template that fails to render
    ("/rulings/", "cases.listing.list_view"),
    ("/rulings/?format=csv", "cases.exports.export_response"),
    ("/timeline/", "cases.timeline.events_for"),
    ("/rulings/feed/", "cases.feeds.published_rulings"),
    ("/lawsuits/chicago-v-sessions/feed/", "cases.feeds.published_rulings"),
]


def test_debug_is_off():
    assert django_settings.DEBUG is False
    assert not django_settings.DEBUG_PROPAGATE_EXCEPTIONS


@pytest.mark.parametrize(("url", "target"), BROKEN)
def test_a_failing_view_answers_the_static_500_page(
    records, client, server_errors, monkeypatch, url, target
):
    ruling = Ruling.objects.published().order_by("pk").first()
    url = url.format(ruling=ruling.pk)
    monkeypatch.setattr(target, _boom)
    server_errors.clear()

    response = client.get(url)
    body = response.content

    assert response.status_code == 500
    # The 500 really came from the patched call, not from something else.
    assert any(SECRET_MESSAGE in error for error in server_errors), server_errors
    assert response["Content-Type"].startswith("text/html")
    assert body == SERVER_500_PAGE, body[:2000]
    text = body.decode()
    for marker in ["Traceback", "kaboom", SECRET_MESSAGE, "SELECT", "Exception", *LEAK_MARKERS]:
        assert marker not in text, f"{url}: the 500 page shows {marker!r}"
