"""The rulings' facets read from monthly tallies (cases.facets.MonthTallies): under a court and
date bounds, every count is the one counting the rulings gives, and a first view under new dates
counts no ruling of the whole months again."""

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from cases import facets, filters
from cases.caching import read_data_version
from cases.models import (
    Court,
    FundingProgram,
    Policy,
    PublicationState,
    RulingKind,
    RulingOutcome,
    RulingScope,
)
from cases.selectors import published_rulings
from tests.factories import (
    FundingProgramFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

COURTS = ("ilnd", "cand", "ca7")
KINDS = [RulingKind.PRELIMINARY_INJUNCTION, RulingKind.PERMANENT_INJUNCTION]
OUTCOMES = [RulingOutcome.CHALLENGERS, RulingOutcome.MIXED]
SCOPES = [RulingScope.NATIONWIDE, RulingScope.PLAINTIFFS]
DRAFT = PublicationState.DRAFT


@pytest.fixture
def spread(court_data):
    """Rulings of three courts every 11 days over 1 Jan 2018 - 25 Jul 2019, of a few kinds,
    outcomes and scopes; most with effects on two policies in two programs (some on both), some
    on an unpublished policy; drafts among them."""
    courts = [Court.objects.get(pk=pk) for pk in COURTS]
    jag = PolicyFactory(slug="jag-conditions")
    cops = PolicyFactory(slug="cops-preference")
    hidden = PolicyFactory(slug="unpublished", publication_state=DRAFT)
    FundingProgramFactory(slug="byrne-jag").policies.add(jag, hidden)
    FundingProgramFactory(slug="cops").policies.add(jag, cops)
    for number in range(52):
        ruling = RulingFactory(
            court=courts[number % 3],
            kind=KINDS[number % 2],
            outcome=OUTCOMES[number // 2 % 2],
            scope=SCOPES[number // 4 % 2],
            decided_on=datetime.date(2018, 1, 1) + datetime.timedelta(days=11 * number),
            publication_state=DRAFT if number % 9 == 4 else PublicationState.PUBLISHED,
        )
        if number % 3:
            RulingEffectFactory(ruling=ruling, policy=jag)
        if number % 4 == 0:
            RulingEffectFactory(ruling=ruling, policy=cops)
        if number % 5 == 0:
            RulingEffectFactory(ruling=ruling, policy=hidden)


def filterset_for(query: dict) -> filters.RulingFilter:
    """The rulings' filterset of a public page's request: with the data version it read."""
    request = RequestFactory().get("/rulings/")
    request.data_version = read_data_version()
    filterset = filters.RulingFilter(query, queryset=published_rulings(), request=request)
    assert filterset.is_valid(), filterset.errors
    return filterset


def tallied_and_counted(query: dict) -> tuple[dict, dict]:
    filterset = filterset_for(query)
    tallied = facets.tallied(filterset, facets.RULING_FACETS, facets.RULING_TALLIES)
    return tallied, facets.counted(filterset, facets.RULING_FACETS)


BOUNDS = [
    {"decided_after": "2018-03-01"},  # a month's first day: no month cut
    {"decided_after": "2018-03-02"},  # March cut
    {"decided_before": "2019-02-28"},  # a month's last day
    {"decided_before": "2019-02-27"},
    {"decided_after": "2018-02-15", "decided_before": "2018-11-14"},  # both ends cut
    {"decided_after": "1000-01-05"},  # before any ruling
    {"decided_after": "2018-01-01", "decided_before": "9999-12-31"},
    {"decided_after": "2018-05-31", "decided_before": "2018-07-01"},  # June whole, two cut days
]
SCOPES_CHOSEN = [[], ["ilnd"], ["cand", "ca7"], ["paed"]]  # paed: a court with no ruling


def test_the_tallies_give_every_count_counting_gives(spread):
    for courts in SCOPES_CHOSEN:
        for bounds in BOUNDS:
            query = {**bounds, "court": courts, "sort": "court"}

            tallied, counted = tallied_and_counted(query)

            assert tallied == counted, query
            if bounds.get("decided_after") == "1000-01-05" and not courts:
                assert sum(tallied["court"].values()) == published_rulings().count() > 40


def test_each_court_is_counted_under_the_bounds_and_the_others_in_the_chosen_court(spread):
    tallied, _ = tallied_and_counted({"court": ["ilnd"], "decided_after": "2018-03-02"})
    every_court = published_rulings().filter(decided_on__gte=datetime.date(2018, 3, 2))
    in_ilnd = every_court.filter(court_id="ilnd")

    assert tallied["court"] == {c: every_court.filter(court_id=c).count() for c in COURTS}
    assert sum(tallied["kind"].values()) == in_ilnd.count()
    # Each choice counts what the list shows once it is chosen; the unpublished policy is none.
    for name, records in (
        ("policy", Policy.objects.published()),
        ("program", FundingProgram.objects),
    ):
        assert {str(pk) for pk in tallied[name]} <= set(
            map(str, records.all().values_list("pk", flat=True))
        )
        for record in records.all():
            chosen = {"court": ["ilnd"], "decided_after": "2018-03-02", name: record.slug}
            count = tallied[name].get(str(record.pk), 0)
            assert filterset_for(chosen).qs.count() == count, record.slug
    hidden = Policy.objects.get(slug="unpublished")
    assert str(hidden.pk) not in tallied["policy"]


@pytest.mark.parametrize(
    "query",
    [
        {"court": ["ilnd"]},  # no date bounds: counted once, and kept for these filters
        {"court": ["ilnd"], "kind": ["preliminary_injunction"]},  # another filter in force
        {"policy": "jag-conditions"},
        {"decided_after": "2018-03-02", "decided_before": "2018-03-20"},  # no whole month
        {"decided_after": "2019-01-01", "decided_before": "2018-01-01"},  # bounds crossed
        {"decided_after": "9999-12-15"},  # no month after it in the calendar
    ],
)
def test_the_rulings_are_counted_where_the_tallies_do_not_answer(spread, query):
    filterset = filterset_for(query)

    assert facets.tallied(filterset, facets.RULING_FACETS, facets.RULING_TALLIES) is None
    assert facets.counts(filterset, facets.RULING_FACETS, facets.RULING_TALLIES) == (
        facets.counted(filterset, facets.RULING_FACETS)
    )


def test_outside_a_public_page_or_with_storing_off_the_rulings_are_counted(spread):
    dated = {"court": ["ilnd"], "decided_after": "2018-03-01"}
    outside = filters.RulingFilter(dated, queryset=published_rulings())
    assert outside.is_valid()
    assert facets.tallied(outside, facets.RULING_FACETS, facets.RULING_TALLIES) is None
    with override_settings(PAGE_CACHE_SECONDS=0):
        filterset = filterset_for(dated)
        assert facets.tallied(filterset, facets.RULING_FACETS, facets.RULING_TALLIES) is None


def facet_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if '"facet"' in q["sql"]]


def shown(response, name: str) -> dict[str, int]:
    assert response.status_code == 200
    facet = response.context["filter"].form.fields[name].facet
    return {option.value: option.count for option in facet.options}


def test_new_dates_in_whole_months_count_no_ruling_again(client, spread):
    client.get("/rulings/?court=ilnd&decided_after=2018-04-01")  # the tallies are built

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/rulings/?court=ilnd&decided_after=2018-06-01")

    assert facet_queries(captured) == []
    expected = published_rulings().filter(court_id="ilnd", decided_on__gte="2018-06-01").count()
    assert response.context["count"] == expected == sum(shown(response, "kind").values())


def test_a_cut_month_with_rulings_is_counted_by_a_query_and_an_empty_one_is_not(client, spread):
    client.get("/rulings/?court=cand&decided_after=2017-01-01")  # the tallies are built

    with CaptureQueriesContext(connection) as empty:  # no ruling before 2018
        client.get("/rulings/?court=cand&decided_after=2017-12-15")
    with CaptureQueriesContext(connection) as cut:  # 12 Jan 2018 (ilnd), 23 Jan 2018 (ca7)
        response = client.get("/rulings/?court=cand&decided_after=2018-01-15")

    assert facet_queries(empty) == []
    assert len(facet_queries(cut)) == 1
    assert (
        shown(response, "court")["ca7"]
        == published_rulings().filter(court_id="ca7", decided_on__gte="2018-01-15").count()
    )


def test_a_change_to_the_rulings_is_in_the_next_counts(client, spread):
    url = "/rulings/?court=ilnd&decided_after=2018-06-01"
    before = shown(client.get(url), "court")

    RulingFactory(court=Court.objects.get(pk="ca7"), decided_on=datetime.date(2019, 3, 5))

    after = shown(client.get(url + "&sort=court"), "court")
    assert after["ca7"] == before["ca7"] + 1
    assert after["ilnd"] == before["ilnd"]


def test_a_process_keeps_a_bounded_number_of_tallies(spread, monkeypatch):
    monkeypatch.setattr(facets.KEPT, "limit", 2)
    for court in ("ilnd", "cand", "ca7"):
        tallied, counted = tallied_and_counted({"court": [court], "decided_after": "2018-03-01"})
        assert tallied == counted
    assert len(facets.KEPT.values) == 2  # every court's, and the last court's own


def test_tally_sums_any_run_of_months():
    day = datetime.date
    tally = facets.Tally({day(2018, 1, 1): 2, day(2018, 3, 1): 5, day(2019, 1, 1): 1})

    assert tally.between(None, None) == 8
    assert tally.between(day(2018, 2, 1), day(2019, 1, 1)) == 5
    assert tally.between(day(2018, 3, 1), None) == 6
    assert tally.between(None, day(2018, 1, 1)) == 0
    assert tally.between(day(2019, 2, 1), day(2018, 2, 1)) == 0
