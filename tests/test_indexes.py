"""The public lists' filters and sorts are served by indexes, not by reading the whole table."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import shared_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are checked on PostgreSQL, the production database "
        "(CI runs this file again on PostgreSQL)",
    ),
]

SEQ_SCAN_ON_RULINGS = re.compile(r"Seq Scan on cases_ruling(?!_)\b")
SEQ_SCAN_ON_LAWSUITS = re.compile(r"Seq Scan on cases_lawsuit(?!_)\b")
SEQ_SCAN_ON_EFFECTS = re.compile(r"Seq Scan on cases_rulingeffect\b")


@shared_data
def bulk():
    """20,000 synthetic rulings, analysed: built once for the tests of this file (without the
    statement timeout a page has: on a busy machine one bulk COPY can take longer)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
    call_command("generate_bulk", rulings=20_000, lawsuits=5_000, seed=5, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(f"SET LOCAL statement_timeout = {settings.STATEMENT_TIMEOUT_MS}")


def plans(client, url: str, facets: bool = False) -> list[str]:
    """The EXPLAIN output of every query the page runs but the facets' counts (those alone
    with `facets`: counting the matches of every other court reads every ruling)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    found = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            counts_facets = 'AS "facet"' in sql  # the facets' counts (one UNION ALL)
            page_query = not counts_facets and sql.lstrip().startswith("SELECT")
            if counts_facets if facets else page_query:
                cursor.execute("EXPLAIN " + sql)
                found.append("\n".join(row[0] for row in cursor.fetchall()))
    return found


@pytest.mark.parametrize(
    "url",
    [
        "/rulings/?court=ilnd",
        "/rulings/?court=ilnd&sort=decided_on",
        "/rulings/",  # the first page, newest first
        "/rulings/?kind=en_banc_opinion",
        "/rulings/?circuit=ca7",
    ],
)
def test_ruling_list_pages_use_indexes(client, bulk, url):
    found = plans(client, url)  # once: a second request would be answered from the page cache
    for plan in found:
        if "cases_ruling" in plan and url != "/rulings/":
            assert not SEQ_SCAN_ON_RULINGS.search(plan), plan
    if url == "/rulings/":
        # Counting every published ruling reads the table; fetching the first page must not.
        page = [p for p in found if "Limit" in p and "cases_ruling" in p]
        assert page and not any(SEQ_SCAN_ON_RULINGS.search(p) for p in page), page


@pytest.mark.parametrize("url", ["/lawsuits/?court=ilnd"])
def test_lawsuit_list_pages_use_indexes(client, bulk, url):
    for plan in plans(client, url):
        assert not SEQ_SCAN_ON_LAWSUITS.search(plan), plan


def test_court_filter_reads_the_published_rulings_index_in_page_order(client, bulk):
    page = [p for p in plans(client, "/rulings/?court=ilnd") if "Limit" in p]
    assert page and "ruling_court_published_idx" in page[0], page
    assert "Sort" not in page[0], page  # the index gives the order: no sort of the court's rows


@pytest.mark.parametrize(
    "url",
    [
        "/rulings/?court=ilnd&decided_after=2000-01-01",  # its monthly tallies built
        "/rulings/?court=ilnd",  # counted
    ],
)
def test_the_policy_and_program_counts_of_a_courts_rulings_read_their_effects_by_index(
    client, bulk, url
):
    """The facets count the court's rulings per policy and per program through the effects of
    those rulings alone, not by reading every effect."""
    facets = [p for p in plans(client, url, facets=True) if "cases_rulingeffect" in p]
    assert facets
    for plan in facets:
        assert not SEQ_SCAN_ON_EFFECTS.search(plan), plan
        assert re.search(r"Index (Only )?Scan using \S+ on cases_rulingeffect\b", plan), plan
