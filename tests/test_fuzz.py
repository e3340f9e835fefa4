"""Fuzzing the public lists and their exports with arbitrary query strings (hypothesis).

Whatever a visitor or a script puts in the query string, a list URL answers 200, 400 (the
filter error), or 404 (a `page` past the end), never a 5xx, and an export never fails half-way
through the stream. Around that, the public contract (DESIGN.md): a 400 on an export is short
plain text, never an empty file; a CSV starts with its documented header row; a JSON export is a
list of objects with the documented keys.

Query strings are sent as raw bytes in the WSGI environ, as a server would pass them on, so the
fuzzer reaches Django's own parsing too: percent-encoded text built with `urlencode`, and raw
junk (`%`, `%zz`, `&&=`, `;`, bytes that are not UTF-8).

The example budget is fixed and the search is derandomized, so every run (and every database)
tries the same inputs.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import traceback
from urllib.parse import quote, quote_plus, urlencode

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cases import exports, filters
from cases.models import (
    CourtLevel,
    JurisdictionKind,
    LawsuitStatus,
    PolicyKind,
    PublicationState,
    RulingKind,
    RulingOutcome,
    RulingScope,
)
from tests.factories import (
    FundingProgramFactory,
    GroundFactory,
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

LISTS = {
    "/rulings/": exports.RULING_EXPORT,
    "/lawsuits/": exports.LAWSUIT_EXPORT,
    "/policies/": exports.POLICY_EXPORT,
    "/programs/": exports.PROGRAM_EXPORT,
    "/courts/": exports.COURT_EXPORT,
    "/jurisdictions/": exports.JURISDICTION_EXPORT,
}
EXPORT_TYPES = {"csv": "text/csv", "json": "application/json"}

# --- The records every example runs against -------------------------------------------------

POLICY_SLUGS = ["sanctuary-eo", "byrne-jag-conditions", "draft-policy"]
PROGRAM_SLUGS = ["byrne-jag", "cops-hiring"]
JURISDICTION_SLUGS = ["chicago", "san-francisco", "philadelphia"]
LAWSUIT_SLUGS = ["chicago-v-sessions", "san-francisco-v-trump", "philadelphia-v-sessions"]
GROUND_SLUGS = ["separation-of-powers", "spending-clause"]


@pytest.fixture
def records(court_data) -> None:
    """Every federal court, and a small, linked set of published and draft records."""
    jag = FundingProgramFactory(slug="byrne-jag", name="Edward Byrne Memorial JAG Program")
    cops = FundingProgramFactory(slug="cops-hiring", name="COPS Hiring Program")
    chicago = JurisdictionFactory(slug="chicago", name="City of Chicago", state="IL")
    sf = JurisdictionFactory(
        slug="san-francisco",
        name="City and County of San Francisco",
        kind=JurisdictionKind.CITY_COUNTY,
        state="CA",
    )
    philadelphia = JurisdictionFactory(slug="philadelphia", name="Philadelphia", state="PA")
    eo = PolicyFactory(
        slug="sanctuary-eo",
        short_title="EO 13768",
        kind=PolicyKind.EXECUTIVE_ORDER,
        issued_on="2017-01-25",
        programs=[jag, cops],
    )
    conditions = PolicyFactory(
        slug="byrne-jag-conditions",
        short_title="=JAG conditions",  # a formula trigger: the CSV must neutralise it
        issued_on="2017-07-25",
        programs=[jag],
    )
    eo.targets.set([sf])
    PolicyFactory(slug="draft-policy", publication_state=PublicationState.DRAFT)
    chicago_suit = LawsuitFactory(
        slug="chicago-v-sessions",
        caption="City of Chicago v. Sessions",
        court_id="ilnd",
        docket_number="1:17-cv-05720",
        filed_on="2017-08-07",
        plaintiffs=[chicago],
        policies=[conditions],
    )
    sf_suit = LawsuitFactory(
        slug="san-francisco-v-trump",
        caption="City & County of San Francisco v. Trump",
        court_id="cand",
        docket_number="3:17-cv-00485",
        filed_on="2017-01-31",
        status=LawsuitStatus.ON_APPEAL,
        plaintiffs=[sf],
        policies=[eo],
    )
    LawsuitFactory(
        slug="philadelphia-v-sessions",
        caption="City of Philadelphia v. Sessions",
        court_id="paed",
        docket_number="2:17-cv-03894",
        filed_on="2017-08-30",
        plaintiffs=[philadelphia],
        policies=[conditions],
        publication_state=PublicationState.DRAFT,
    )
    powers = GroundFactory(slug="separation-of-powers", name="Separation of powers")
    GroundFactory(slug="spending-clause", name="Spending Clause")
    district = RulingFactory(
        court_id="ilnd", decided_on="2017-09-15", lawsuits=[chicago_suit], judges="Leinenweber"
    )
    district.grounds.set([powers])
    RulingEffectFactory(ruling=district, policy=conditions)
    appeal = RulingFactory(
        court_id="ca7",
        decided_on="2018-04-19",
        kind=RulingKind.APPELLATE_OPINION,
        lawsuits=[chicago_suit],
        reviews=district,
        disposition="affirmed",
        citation="888 F.3d 272",
    )
    RulingEffectFactory(ruling=appeal, policy=conditions, effect="keeps_block")
    sf_ruling = RulingFactory(
        court_id="cand",
        decided_on="2017-11-20",
        kind=RulingKind.PERMANENT_INJUNCTION,
        lawsuits=[sf_suit],
        summary="Enjoins section 9(a) nationwide — «bloqué» 🚫",
    )
    RulingEffectFactory(ruling=sf_ruling, policy=eo)
    RulingFactory(
        court_id="ca9",
        decided_on="2018-08-01",
        kind=RulingKind.APPELLATE_OPINION,
        outcome=RulingOutcome.MIXED,
        scope=RulingScope.REGIONAL,
        lawsuits=[sf_suit],
        reviews=sf_ruling,
    )
    RulingFactory(
        court_id="paed", lawsuits=[], publication_state=PublicationState.DRAFT
    )  # never shown


@pytest.fixture
def client() -> Client:
    """A client that turns a server error into a 500 response instead of raising it."""
    return Client(raise_request_exception=False)


@pytest.fixture
def server_errors():
    """The traceback of each exception the server turned into a 500, for the failure message."""
    seen: list[str] = []

    def record(sender, **kwargs):
        seen.append("".join(traceback.format_exception(*sys.exc_info())))

    got_request_exception.connect(record, weak=False)
    yield seen
    got_request_exception.disconnect(record)


# --- Strategies ----------------------------------------------------------------------------------

COURT_IDS = ["ilnd", "cand", "ca9", "ca7", "ca3", "paed", "scotus", "cadc", "dcd", "cacd"]
DATES = ["2017-01-25", "2017-09-15", "2017-11-20", "2018-04-19", "2020-02-29"]
SORT_KEYS = sorted(
    {
        key
        for filterset in (
            filters.RulingFilter,
            filters.LawsuitFilter,
            filters.PolicyFilter,
            filters.ProgramFilter,
            filters.CourtListFilter,
            filters.JurisdictionFilter,
        )
        for key in filterset.base_filters["sort"].orderings
    }
)
VALID = {
    "court": COURT_IDS,
    "circuit": ["ca9", "ca7", "ca3", "cadc", "ca1"],
    "kind": [*RulingKind.values, *PolicyKind.values, *JurisdictionKind.values],
    "outcome": RulingOutcome.values,
    "scope": RulingScope.values,
    "decided_after": DATES,
    "decided_before": DATES,
    "policy": POLICY_SLUGS,
    "program": PROGRAM_SLUGS,
    "lawsuit": LAWSUIT_SLUGS,
    "ground": GROUND_SLUGS,
    "q": ["chicago", "Sessions v", "N.D. Ill.", "1:17-cv-05720", "888 F.3d", "bloqué", "%", "_"],
    "sort": SORT_KEYS,
    "status": LawsuitStatus.values,
    "plaintiff": JURISDICTION_SLUGS,
    "filed_after": DATES,
    "filed_before": DATES,
    "level": CourtLevel.values,
    "has_cases": ["true", "false"],
    "state": ["CA", "il", "Pa", "NY"],
    "role": ["plaintiff", "target"],
    "page": ["1", "2"],
    "format": ["csv", "json", "html"],
}
PARAM_NAMES = sorted(VALID)
NEAR_VALID = [
    # dates
    "2017-13-45",
    "0000-01-01",
    "9999-12-31",
    "0001-01-01",
    "2017-02-29",
    "2017-1-5",
    "20171120",
    "2017-11-20T00:00:00",
    "2017-11-20 ",
    "17-11-20",
    "yesterday",
    "2017-W01-1",
    # booleans
    "maybe",
    "on",
    "True",
    # numbers (page, ids)
    "0",
    "-1",
    "-0",
    "1.5",
    "1e3",
    "+2",
    " 1",
    "0x10",
    "99999999999999999999",
    "9" * 400,
    "²",  # a digit to str.isdigit(), not to int()
    "١٢",  # Arabic-Indic digits
    "𝟙",
    "Ⅻ",
    # codes and slugs, slightly off
    "CAL",
    "C",
    "ILND",
    "cand ",
    "ca 9",
    "ca9/",
    "-decided_on",
    "--decided_on",
    "chicago-v-",
    "Chicago-V-Sessions",
    "preliminary-injunction",
    "null",
    "None",
    "[]",
    "{}",
    # injection and escaping
    "' OR '1'='1",
    '"; DROP TABLE cases_ruling; --',
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "{% debug %}",
    "\\",
    "%",
    "%00",
    "%zz",
    # the length limits (q: 200 characters, any value: 500)
    "x" * 200,
    "x" * 201,
    "x" * 500,
    "x" * 501,
]
SPECIAL_TEXT = [
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\u202e",  # right-to-left override
    "مدينة شيكاغو",
    "שלום",
    "😀",
    "👨\u200d👩\u200d👧",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "İ",
    "ß",
    "ﬃ",
    "\u0301",
]
# Any text a URL can carry (surrogates cannot be encoded as UTF-8, so no request carries them).
CHARACTERS = st.characters(exclude_categories=("Cs",))
TEXT = st.text(CHARACTERS, max_size=30)
LONG_TEXT = st.one_of(
    st.text(CHARACTERS, min_size=180, max_size=600),
    st.builds(
        lambda piece, n: (piece * n)[:2000],
        st.text(CHARACTERS, min_size=1, max_size=4),
        st.integers(100, 2000),
    ),
)
PERCENT_ENCODED = st.builds(
    lambda text, safe: quote(text, safe=safe), TEXT, st.sampled_from(["", "/", "%", "&=;"])
)
ANY_VALUE = st.one_of(
    st.sampled_from([value for values in VALID.values() for value in values]),
    st.sampled_from(NEAR_VALID),
    st.sampled_from(SPECIAL_TEXT),
    st.just(""),
    TEXT,
    LONG_TEXT,
    PERCENT_ENCODED,
    st.integers().map(str),
    st.dates().map(str),
)
ANY_NAME = st.one_of(
    st.sampled_from(PARAM_NAMES),
    st.sampled_from(
        ["court[]", "Court", "q ", " q", "page[]", "format ", "FORMAT", "csrfmiddlewaretoken"]
    ),
    st.sampled_from(SPECIAL_TEXT),
    st.just(""),
    TEXT,
)


def _pair(name: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.just(name), st.one_of(st.sampled_from(VALID[name]), ANY_VALUE))


# Mostly real parameter names with values that fit them, some arbitrary names and values.
PAIRS = st.lists(
    st.one_of(
        st.sampled_from(PARAM_NAMES).flatmap(_pair),
        st.sampled_from(PARAM_NAMES).flatmap(_pair),
        st.tuples(ANY_NAME, ANY_VALUE),
    ),
    max_size=8,
)


@st.composite
def encoded_queries(draw) -> bytes:
    """A query string as `urlencode` builds it, with repeated and empty parameters."""
    pairs = draw(PAIRS)
    quote_via = draw(st.sampled_from([quote_plus, quote]))
    if draw(st.booleans()):
        grouped: dict[str, list[str]] = {}
        for name, value in pairs:
            grouped.setdefault(name, []).append(value)
        query = urlencode(grouped, doseq=True, quote_via=quote_via)
    else:
        query = urlencode(pairs, quote_via=quote_via)
    return query.encode()


RAW_JUNK = [
    "%",
    "%%",
    "%zz",
    "%0",
    "%00",
    "%ff",
    "%C0%AF",
    "%ED%A0%80",  # an encoded surrogate
    "&&=",
    "=",
    "==",
    "=&=",
    ";",
    ";;=;",
    "&",
    "+",
    "#",
    "?",
    "a=b=c",
    "court",
    "court=",
    "court=ilnd;court=cand",
    "q=%E2%80%AE",
    "page=%C2%B2",
    "format=csv%00",
]


@st.composite
def raw_queries(draw) -> bytes:
    """A query string sent as is: unencoded text, broken escapes, bytes that are not UTF-8."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(RAW_JUNK),
                st.builds(lambda name, value: f"{name}={value}", ANY_NAME, ANY_VALUE),
                st.builds(
                    lambda name, value: f"{name}={value}", st.sampled_from(PARAM_NAMES), TEXT
                ),
                TEXT,
            ),
            max_size=8,
        )
    )
    separator = draw(st.sampled_from(["&", "&", ";", "&&", ""]))
    query = separator.join(pieces).encode()
    if draw(st.integers(0, 4)) == 0:
        query += draw(st.binary(max_size=40))
    return query


PATHS = st.sampled_from(list(LISTS))


def with_format(query: bytes, fmt: str) -> bytes:
    return query + (b"&" if query else b"") + b"format=" + fmt.encode()


EXPORT_QUERIES = st.builds(
    with_format,
    st.one_of(encoded_queries(), raw_queries()),
    st.sampled_from(list(EXPORT_TYPES)),
)

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# --- The check every example runs -----------------------------------------------------------


def fetch(client: Client, server_errors: list[str], path: str, query: bytes) -> None:
    """Request `path?query` and check the response against the public contract."""
    url = f"{path}?{query.decode('utf-8', 'backslashreplace')}"
    server_errors.clear()
    # A savepoint per example: a database error in one example must not abort the transaction
    # (on PostgreSQL) that every later example runs in.
    savepoint = transaction.savepoint()
    try:
        # WSGI passes the query string's bytes as latin-1 text; Django decodes it from there.
        response = client.get(path, QUERY_STRING=query.decode("latin-1"))
        # (The test client closes the response itself, at the end of the stream.)
        try:
            body = b"".join(response.streaming_content) if response.streaming else response.content
        except Exception:
            pytest.fail(f"{url}\nfailed while streaming:\n{traceback.format_exc()}")
    finally:
        transaction.savepoint_rollback(savepoint)

    status = response.status_code
    errors = "\n".join(server_errors)
    assert status < 500, f"{url}\nanswered {status}:\n{errors}"
    assert status in (200, 400, 404), f"{url}\nanswered {status}"

    params = response.wsgi_request.GET
    fmt = params.get("format", "html")
    content_type = response.get("Content-Type", "")
    if fmt in EXPORT_TYPES:
        check_export(url, LISTS[path], fmt, status, content_type, body, response)
    elif fmt != "html":
        assert status == 400, f"{url}\nunknown format {fmt!r} answered {status}"
        assert content_type.startswith("text/plain"), f"{url}\n400 as {content_type}"
    elif status == 404:
        page = params.get("page", "")
        assert page.isdecimal() and int(page) > 1, f"{url}\n404 without a page past the end"
    else:
        assert content_type.startswith("text/html"), f"{url}\n{status} as {content_type}"


def check_export(url, spec, fmt, status, content_type, body, response) -> None:
    assert status in (200, 400), f"{url}\nexport answered {status}"
    if status == 400:
        assert content_type.startswith("text/plain"), f"{url}\nexport 400 as {content_type}"
        assert body.strip(), f"{url}\nexport 400 with an empty body"
        assert not body.startswith(b'"'), f"{url}\nexport 400 looks like a CSV: {body[:80]!r}"
        return
    assert content_type.startswith(EXPORT_TYPES[fmt]), f"{url}\nexport as {content_type}"
    disposition = response.get("Content-Disposition", "")
    assert f'filename="{spec.name}-' in disposition, f"{url}\nfilename: {disposition}"
    text = body.decode("utf-8")
    if fmt == "csv":
        first = f'"{spec.headers[0]}",'
        assert text.startswith(first), f"{url}\nCSV does not start with {first}: {text[:80]!r}"
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows[0] == spec.headers, f"{url}\nCSV header {rows[0]}"
        assert all(len(row) == len(spec.headers) for row in rows), f"{url}\nragged CSV"
    else:
        data = json.loads(text)
        assert isinstance(data, list), f"{url}\nJSON is a {type(data).__name__}"
        for record in data:
            assert list(record) == spec.headers, f"{url}\nJSON keys {list(record)}"


# --- The fuzz tests ------------------------------------------------------------------------------

LONG_Q = ("sanctuary " * 500).encode()  # 5,000 characters


@FUZZ
@given(path=PATHS, query=encoded_queries())
@example(path="/rulings/", query=b"q=a%00b")
@example(path="/lawsuits/", query=b"%00=1")
@example(path="/rulings/", query=b"decided_after=yesterday")
@example(path="/rulings/", query=b"court=zzz")
@example(path="/lawsuits/", query=b"court=zzz&court=ilnd")
@example(path="/courts/", query=b"page=0")
@example(path="/rulings/", query=b"page=99999999999999999999")
@example(path="/courts/", query=b"page=%C2%B2")  # "²": str.isdigit() is true, int() fails
@example(path="/rulings/", query=b"q=" + LONG_Q)
@example(path="/rulings/", query=b"sort=unknown")
@example(path="/rulings/", query=b"circuit=cand")  # a district court is not a circuit
@example(path="/courts/", query=b"circuit=cand")
@example(path="/jurisdictions/", query=b"state=CAL")
@example(path="/jurisdictions/", query=b"state=CA%0A")
def test_list_pages_answer_every_query_string(records, client, server_errors, path, query):
    fetch(client, server_errors, path, query)


@FUZZ
@given(path=PATHS, query=EXPORT_QUERIES)
@example(path="/rulings/", query=b"court=ilnd%00&format=csv")
@example(path="/lawsuits/", query=b"%00=1&format=json")
@example(path="/rulings/", query=b"decided_after=yesterday&format=csv")
@example(path="/rulings/", query=b"court=zzz&format=csv")
@example(path="/rulings/", query=b"court=zzz&format=json")
@example(path="/courts/", query=b"page=0&format=csv")
@example(path="/rulings/", query=b"page=99999999999999999999&format=json")
@example(path="/rulings/", query=b"format=xml")
@example(path="/rulings/", query=b"format=csv&format=xml")
@example(path="/policies/", query=b"q=" + LONG_Q + b"&format=csv")
@example(path="/rulings/", query=b"sort=unknown&format=json")
@example(path="/lawsuits/", query=b"circuit=cand&format=csv")
@example(path="/jurisdictions/", query=b"state=CAL&format=csv")
@example(path="/policies/", query=b"q=%3DJAG&format=csv")  # the formula-trigger title
def test_exports_answer_every_query_string(records, client, server_errors, path, query):
    fetch(client, server_errors, path, query)


@FUZZ
@given(path=PATHS, query=raw_queries())
@example(path="/rulings/", query=b"%")
@example(path="/rulings/", query=b"q=%zz&&=;court=ilnd")
@example(path="/lawsuits/", query=b"status=\xff\xfe&format=csv")
@example(path="/courts/", query=b"q=caf\xc3\xa9\x00")
@example(path="/programs/", query=b"format=csv%00")
def test_lists_answer_raw_query_strings(records, client, server_errors, path, query):
    fetch(client, server_errors, path, query)
