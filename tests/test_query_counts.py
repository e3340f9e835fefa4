"""No N+1: a list page or an export makes the same number of queries for 1 row as for 50."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from cases.models import Court, Policy, Ruling
from cases.status.triggers import deferred
from tests.conftest import shared_data
from tests.factories import (
    FundingProgramFactory,
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

URLS = [
    "/rulings/",
    "/rulings/?court=ilnd&kind=preliminary_injunction",
    "/lawsuits/",
    "/policies/",
    "/programs/",
    "/courts/",
    "/jurisdictions/",
    "/",
    "/timeline/",
]


EXPORTS = ("csv", "json")


def make_rows(count: int, court: Court) -> None:
    """`count` rows in every list, each with related records to show (without edit history,
    which no public page reads: three times quicker; the statuses rebuilt once, at the end, as
    the admin does for a request)."""
    with override_settings(SIMPLE_HISTORY_ENABLED=False), deferred():
        _make_rows(count, court)


def _make_rows(count: int, court: Court) -> None:
    for _ in range(count):
        policy = PolicyFactory()
        plaintiff = JurisdictionFactory()
        lawsuit = LawsuitFactory(court=court, plaintiffs=[plaintiff], policies=[policy])
        ruling = RulingFactory(court=court, lawsuits=[lawsuit])
        RulingEffectFactory(ruling=ruling, policy=policy)
        policy.targets.add(plaintiff)
        FundingProgramFactory().policies.add(policy)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def court(court_data):
    return Court.objects.get(pk="ilnd")


@shared_data
def fifty_rows() -> None:
    """Every court, and 50 rows in every list (shared by the tests that only read them)."""
    call_command("loaddata", "fixtures/courts.json", verbosity=0)
    make_rows(50, Court.objects.get(pk="ilnd"))


@pytest.mark.parametrize("url", URLS)
def test_queries_do_not_grow_with_rows(client, court, url):
    """Pages stay within a small fixed budget; exports run one query plus validation's."""
    joiner = "&" if "?" in url else "?"
    exports = [] if url in ("/", "/timeline/") else [f"{url}{joiner}format={f}" for f in EXPORTS]
    urls = [url, *exports]

    make_rows(1, court)
    with_one = [count_queries(client, each) for each in urls]
    make_rows(49, court)
    with_fifty = [count_queries(client, each) for each in urls]

    assert with_fifty == with_one
    # The dashboard reads the most: statuses, counts, chart and latest rulings.
    assert with_one[0] <= (20 if url == "/" else 15)
    # One query for the rows plus validation's; the policies' export also derives each
    # policy's status, in a fixed number of queries.
    export_budget = 10 if url.startswith("/policies/") else 3
    assert all(count <= export_budget for count in with_one[1:])


def test_detail_pages_do_not_grow_with_related_rows(client, court):
    make_rows(1, court)
    ruling = Ruling.objects.first()
    urls = ["/courts/ilnd/", ruling.get_absolute_url(), Policy.objects.first().get_absolute_url()]
    first = [count_queries(client, url) for url in urls]
    make_rows(20, court)
    assert [count_queries(client, url) for url in urls] == first


LIST_URLS = [url for url in URLS if url not in ("/", "/timeline/")]


@pytest.mark.parametrize("url", LIST_URLS)
def test_a_list_page_makes_at_most_six_queries(client, fifty_rows, url):
    """Once the form's choices are cached (until the next edit), a list page not seen before
    reads the data version, the count, the page's rows and their related records, and (for
    the rulings and lawsuits) every facet's counts in one grouped query: no more."""
    client.get(url)
    joiner = "&" if "?" in url else "?"
    faceted = url.startswith(("/rulings/", "/lawsuits/"))
    assert count_queries(client, f"{url}{joiner}page=1") <= (6 if faceted else 5)


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("fmt", EXPORTS)
def test_an_export_makes_one_query_after_validation(client, fifty_rows, url, fmt):
    """The data version, then one query for every row with its related names."""
    client.get(url)
    joiner = "&" if "?" in url else "?"
    assert count_queries(client, f"{url}{joiner}format={fmt}") == 2
