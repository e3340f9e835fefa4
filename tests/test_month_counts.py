"""The published rulings per court and month kept by the database (RulingMonthCount,
PostgreSQL): they follow every change to the rulings, and the court facet read from them under
date bounds gives the same numbers as counting the rulings."""

import csv
import datetime
import io
import json
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from cases import facets, filters
from cases.models import Court, PublicationState, Ruling, RulingMonthCount
from cases.selectors import published_rulings
from tests.factories import RulingFactory

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL keeps the counts; SQLite's facets count the rulings (CI runs this file "
    "again on PostgreSQL)",
)

DRAFT = PublicationState.DRAFT
PUBLISHED = PublicationState.PUBLISHED


def expected() -> dict[tuple[str, datetime.date], int]:
    """The published rulings per court and month, counted."""
    return dict(
        Counter(
            (court, decided.replace(day=1))
            for court, decided in published_rulings().values_list("court_id", "decided_on")
        )
    )


def stored() -> dict[tuple[str, datetime.date], int]:
    return {(row.court_id, row.month): row.rulings for row in RulingMonthCount.objects.all()}


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@postgresql_only
def test_the_counts_follow_every_change_to_the_rulings(court_data):
    ilnd, cand = Court.objects.get(pk="ilnd"), Court.objects.get(pk="cand")
    first = RulingFactory(court=ilnd, decided_on=day("2017-11-15"))
    second = RulingFactory(court=ilnd, decided_on=day("2017-11-30"))
    RulingFactory(court=cand, decided_on=day("2018-01-01"))
    draft = RulingFactory(court=cand, decided_on=day("2018-01-31"), publication_state=DRAFT)
    assert (
        stored()
        == expected()
        == {
            ("ilnd", day("2017-11-01")): 2,
            ("cand", day("2018-01-01")): 1,
        }
    )

    first.decided_on = day("2017-12-01")  # another month
    first.save()
    second.court = cand  # another court
    second.save()
    draft.publication_state = PUBLISHED  # published
    draft.save()
    assert stored() == expected()
    assert stored()[("cand", day("2018-01-01"))] == 2

    draft.publication_state = DRAFT  # withdrawn
    draft.save()
    first.summary = "Edited."  # a change that moves nothing
    first.save()
    Ruling.objects.filter(court=cand).update(decided_on=F("decided_on") + datetime.timedelta(1))
    assert stored() == expected()

    second.delete()
    Ruling.objects.filter(pk=first.pk).delete()
    assert stored() == expected()
    # A month that comes to no ruling keeps no row.
    assert ("ilnd", day("2017-12-01")) not in stored()
    assert all(count > 0 for count in stored().values())


@postgresql_only
def test_emptying_the_rulings_table_empties_the_counts(court_data):
    RulingFactory(decided_on=day("2018-03-03"))
    assert stored()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no checks left pending on the table
        cursor.execute("TRUNCATE cases_ruling CASCADE")

    assert stored() == {}


@pytest.fixture
def months_of_rulings(court_data):
    """Published rulings in three courts on the first, middle and last days of four months
    across a new year, and drafts among them (never counted)."""
    courts = [Court.objects.get(pk=pk) for pk in ("ilnd", "cand", "ca7")]
    days = [
        "2017-11-01",
        "2017-11-15",
        "2017-11-30",
        "2017-12-31",
        "2018-01-01",
        "2018-01-20",
        "2018-02-28",
    ]
    for index, text in enumerate(days):
        for number, court in enumerate(courts[: 1 + index % 3]):
            RulingFactory(court=court, decided_on=day(text))
            if number == 1:
                RulingFactory(court=court, decided_on=day(text), publication_state=DRAFT)


BOUNDS = [
    {},
    {"decided_after": "2017-11-01"},  # a month's first day: the whole month
    {"decided_after": "2017-11-02"},  # cuts November
    {"decided_before": "2017-12-31"},  # a month's last day
    {"decided_before": "2018-01-19"},  # cuts January
    {"decided_after": "2017-11-15", "decided_before": "2018-01-01"},
    {"decided_after": "2017-12-31", "decided_before": "2018-01-01"},  # no whole month
    {"decided_after": "2017-11-05", "decided_before": "2017-11-29"},  # within one month
    {"decided_after": "2018-02-01", "decided_before": "2017-11-01"},  # the wrong way round
    {"decided_after": "1000-01-02"},
    {"decided_before": "9999-12-31"},
    {"decided_after": "9999-12-02"},
    {"court": ["ilnd"], "decided_after": "2017-11-16"},  # the court's own filter
]


@pytest.mark.parametrize("query", BOUNDS)
def test_the_court_counts_under_date_bounds_are_the_rulings_each_court_lists(
    months_of_rulings, query
):
    filterset = filters.RulingFilter(query, queryset=published_rulings())
    assert filterset.is_valid(), filterset.errors
    found = facets.counts(filterset, facets.RULING_FACETS)["court"]

    counts = {}
    for court in ("ilnd", "cand", "ca7"):
        listed = filters.RulingFilter({**query, "court": [court]}, queryset=published_rulings())
        assert listed.is_valid()
        counts[court] = listed.qs.count()
    assert {court: found.get(court, 0) for court in counts} == counts, query
    assert set(found) <= set(counts)


@postgresql_only
@pytest.mark.parametrize(
    ("query", "reads_the_counts"),
    [
        ({"court": ["ilnd"], "decided_after": "1000-01-02"}, True),
        ({"decided_before": "2018-01-19"}, True),
        ({"decided_after": "2017-11-05", "decided_before": "2017-11-29"}, False),
        ({"court": ["ilnd"], "kind": ["preliminary_injunction"]}, False),
    ],
)
def test_the_court_facet_reads_the_counts_under_date_bounds_alone(
    months_of_rulings, query, reads_the_counts
):
    filterset = filters.RulingFilter(query, queryset=published_rulings())
    assert filterset.is_valid()
    filterset.form.cleaned_data  # noqa: B018 (validated above)

    with CaptureQueriesContext(connection) as queries:
        facets.facets_for(filterset, QueryDict(), facets.RULING_FACETS)

    (counting,) = [q["sql"] for q in queries if 'AS "facet"' in q["sql"]]
    assert ("cases_rulingmonthcount" in counting) is reads_the_counts


def test_the_courts_list_and_its_exports_count_each_courts_published_rulings(
    client, months_of_rulings
):
    """The Rulings column of /courts/ and `ruling_count` in its CSV and JSON: drafts left out
    (on PostgreSQL read from the kept counts)."""
    want = dict(Counter(published_rulings().values_list("court_id", flat=True)))
    assert want == {"ilnd": 7, "cand": 4, "ca7": 2}

    page = client.get("/courts/?has_cases=true")
    shown = {court.pk: court.ruling_count for court in page.context["rows"]}
    records = client.get("/courts/?has_cases=true&format=json")
    exported = {
        row["id"]: row["ruling_count"] for row in json.loads(b"".join(records.streaming_content))
    }
    csv_rows = client.get("/courts/?has_cases=true&format=csv")
    in_csv = {
        row["id"]: int(row["ruling_count"])
        for row in csv.DictReader(io.StringIO(b"".join(csv_rows.streaming_content).decode()))
    }

    for found in (shown, exported, in_csv):
        assert {pk: n for pk, n in found.items() if pk in want} == want
