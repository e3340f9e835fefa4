"""Facets: the filter form's choices grouped (courts by circuit) with the number of matching
records under the other filters in force, courts with none left out unless chosen."""

import datetime
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from cases import facets, filters
from cases.models import Court, PublicationState, RulingKind, RulingOutcome, RulingScope
from cases.selectors import published_rulings
from tests.factories import (
    FundingProgramFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rulings(court_data):
    ilnd, cand, ca7 = (Court.objects.get(pk=pk) for pk in ("ilnd", "cand", "ca7"))
    jag = PolicyFactory(slug="jag-conditions", short_title="Byrne JAG conditions")
    FundingProgramFactory(slug="byrne-jag", short_name="Byrne JAG").policies.add(jag)
    chicago = LawsuitFactory(slug="chicago-v-sessions", court=ilnd, policies=[jag])
    pi = RulingKind.PRELIMINARY_INJUNCTION
    first = RulingFactory(court=ilnd, lawsuits=[chicago], kind=pi)
    RulingFactory(court=ilnd, lawsuits=[chicago], kind=RulingKind.PERMANENT_INJUNCTION)
    RulingFactory(court=cand, kind=pi, outcome=RulingOutcome.MIXED)
    appeal = RulingFactory(court=ca7, lawsuits=[chicago], kind=RulingKind.APPELLATE_OPINION)
    RulingFactory(court=Court.objects.get(pk="paed"), publication_state=PublicationState.DRAFT)
    RulingEffectFactory(ruling=first, policy=jag)
    RulingEffectFactory(ruling=appeal, policy=jag)
    return {"first": first}


def facet_of(response, name):
    assert response.status_code == 200
    chosen = response.context["filter"]
    form = chosen["form"] if isinstance(chosen, dict) else chosen.form  # the timeline's: a dict
    return form.fields[name].facet


def shown(facet):
    return {option.value: option.count for option in facet.options}


def test_court_choices_are_grouped_by_circuit_with_their_counts(client, rulings):
    court = facet_of(client.get("/rulings/"), "court")

    groups = {group.legend: {o.value: o.count for o in group.options} for group in court.groups}
    assert groups == {
        "Seventh Circuit": {"ca7": 1, "ilnd": 2},
        "Ninth Circuit": {"cand": 1},
    }
    # The draft's court (E.D. Pa.) and every court without a ruling are left out, reachable.
    assert court.hidden == Court.objects.count() - 3
    assert court.show_all_url == "?all_courts=true"


def test_the_page_shows_the_groups_as_fieldsets_with_legends_and_labelled_counts(client, rulings):
    page = client.get("/rulings/?kind=preliminary_injunction").content.decode()

    group = re.search(
        r'<fieldset class="facet-group"><legend>Seventh Circuit</legend>.*?</fieldset>', page, re.S
    ).group()
    assert 'name="court" value="ilnd" id="id_court_ilnd"' in group
    assert re.search(
        r'<label for="id_court_ilnd">District Court, N.D. Illinois <span class="count">1'
        r'<span class="visually-hidden"> matching rulings</span>',
        group,
    )
    assert "ca7" not in group  # no preliminary injunction in the 7th Circuit's own court
    assert '<a href="?kind=preliminary_injunction&amp;all_courts=true">Show all courts</a>' in page
    assert "District Court, D. Alaska" not in page


def test_each_facet_counts_under_the_other_filters_but_not_its_own(client, rulings):
    response = client.get("/rulings/?court=ilnd&kind=preliminary_injunction")

    # Kinds: the N.D. Ill.'s rulings of each kind, whichever kind is chosen.
    kinds = shown(facet_of(response, "kind"))
    assert kinds["preliminary_injunction"] == 1
    assert kinds["permanent_injunction"] == 1
    assert kinds["appellate_opinion"] == 0
    # Courts: the preliminary injunctions of each court, the chosen court ticked.
    court = facet_of(response, "court")
    assert shown(court) == {"ilnd": 1, "cand": 1}
    assert [o.value for o in court.options if o.selected] == ["ilnd"]
    # Outcomes, policies and programs: under both filters.
    assert shown(facet_of(response, "outcome"))["challengers"] == 1
    assert shown(facet_of(response, "outcome"))["mixed"] == 0
    assert shown(facet_of(response, "policy")) == {"jag-conditions": 1}
    assert shown(facet_of(response, "program")) == {"byrne-jag": 1}


def test_a_chosen_court_without_a_match_stays_listed_and_ticked(client, rulings):
    court = facet_of(client.get("/rulings/?court=nysd&kind=preliminary_injunction"), "court")

    (option,) = [o for o in court.options if o.value == "nysd"]
    assert option.selected and option.count == 0
    assert "Second Circuit" in [group.legend for group in court.groups]


def test_show_all_courts_lists_every_court_and_is_kept_by_the_form(client, rulings):
    response = client.get("/rulings/?all_courts=true")
    court = facet_of(response, "court")

    assert len(court.options) == Court.objects.count()
    assert court.hidden == 0 and court.fewer_url == "?"
    assert [g.legend for g in court.groups][:3] == [
        "Supreme Court",
        "First Circuit",
        "Second Circuit",
    ]
    page = response.content.decode()
    assert '<input type="hidden" name="all_courts" value="true"' in page
    assert "District Court, D. Alaska" in page
    # It changes only the form: the same rulings, and no filter named in the download.
    assert response.context["count"] == 4
    csv = client.get("/rulings/?all_courts=true&format=csv")
    assert 'filename="rulings-2' in csv["Content-Disposition"]


def test_a_bad_all_courts_value_is_a_400(client, rulings):
    response = client.get("/rulings/?all_courts=maybe")
    assert response.status_code == 400
    assert b"Use true or false." in response.content


def test_lawsuits_have_facets_too(client, rulings):
    response = client.get("/lawsuits/?status=pending&status=closed")

    # Each ruling made without a case came with one of its own: N.D. Cal., E.D. Pa.
    assert shown(facet_of(response, "court")) == {"ilnd": 1, "cand": 1, "paed": 1}
    assert shown(facet_of(response, "policy")) == {"jag-conditions": 1}
    assert sum(shown(facet_of(response, "status")).values()) == 3


def test_every_facet_is_counted_in_one_query(rulings):
    filterset = filters.RulingFilter(
        {"court": ["ilnd"], "kind": ["preliminary_injunction"]}, queryset=published_rulings()
    )
    assert filterset.is_valid()
    filterset.form.cleaned_data  # noqa: B018 (validated above: no query below reads choices)

    with CaptureQueriesContext(connection) as queries:
        found = facets.counts(filterset, facets.RULING_FACETS)

    assert len(queries) == 1
    assert found["court"] == {"ilnd": 1, "cand": 1}


def test_drafts_are_not_counted(client, rulings):
    draft = RulingFactory(
        court=Court.objects.get(pk="ilnd"),
        decided_on=datetime.date(2018, 1, 1),
        publication_state=PublicationState.DRAFT,
    )
    RulingEffectFactory(ruling=draft, policy=rulings["first"].effects.get().policy)

    response = client.get("/rulings/")

    assert shown(facet_of(response, "court"))["ilnd"] == 2
    assert shown(facet_of(response, "policy")) == {"jag-conditions": 2}


def test_the_timeline_counts_each_courts_filings_and_rulings(client, rulings):
    everything = facet_of(client.get("/timeline/"), "court")
    only_rulings = facet_of(client.get("/timeline/?kind=ruling&court=ilnd"), "court")
    only_filings = facet_of(client.get("/timeline/?kind=filing"), "court")

    # N.D. Ill.: Chicago's suit, two rulings; N.D. Cal. and E.D. Pa.: a suit each (made with a
    # ruling), and the N.D. Cal. ruling (the E.D. Pa. one is a draft); 7th Cir.: one ruling.
    assert shown(everything) == {"ilnd": 3, "cand": 2, "paed": 1, "ca7": 1}
    assert "Seventh Circuit" in [group.legend for group in everything.groups]
    assert shown(only_rulings) == {"ilnd": 2, "cand": 1, "ca7": 1}
    assert [o.value for o in only_rulings.options if o.selected] == ["ilnd"]
    assert shown(only_filings) == {"ilnd": 1, "cand": 1, "paed": 1}
    page = client.get("/timeline/?kind=ruling").content.decode()
    assert "matching filings and rulings" in page
    assert '<a href="?kind=ruling&amp;all_courts=true">Show all courts</a>' in page


def test_the_timeline_lists_every_court_on_request(client, rulings):
    court = facet_of(client.get("/timeline/?all_courts=true"), "court")

    assert len(court.options) == Court.objects.count()
    assert client.get("/timeline/?all_courts=yes").status_code == 400


def test_the_timeline_counts_each_kind_policy_and_program_as_choosing_it_would_show(client, seeded):
    """Each timeline choice's count is the number of events the timeline shows once it is
    chosen, the other filters kept."""
    jag = "/timeline/?policy=byrne-jag-fy2017-conditions"
    kinds = shown(facet_of(client.get(jag), "kind"))
    assert set(kinds) == {"policy", "end", "filing", "ruling"} and kinds["ruling"] > 1
    for kind, count in kinds.items():
        assert client.get(f"{jag}&kind={kind}").context["count"] == count, kind
    rulings = "/timeline/?kind=ruling&kind=filing"
    response = client.get(rulings)
    for name in ("policy", "program"):
        counts = shown(facet_of(response, name))
        assert any(counts.values())
        for value, count in counts.items():
            assert client.get(f"{rulings}&{name}={value}").context["count"] == count, value


@pytest.fixture
def mixed_rulings(court_data):
    """Rulings in three courts with every combination of a few kinds, outcomes and scopes, some
    with effects on two policies in two programs (one ruling on both policies)."""
    courts = [Court.objects.get(pk=pk) for pk in ("ilnd", "cand", "ca7")]
    jag = PolicyFactory(slug="jag-conditions")
    cops = PolicyFactory(slug="cops-preference")
    FundingProgramFactory(slug="byrne-jag").policies.add(jag)
    FundingProgramFactory(slug="cops").policies.add(jag, cops)
    kinds = [RulingKind.PRELIMINARY_INJUNCTION, RulingKind.PERMANENT_INJUNCTION]
    outcomes = [RulingOutcome.CHALLENGERS, RulingOutcome.MIXED]
    scopes = [RulingScope.NATIONWIDE, RulingScope.PLAINTIFFS]
    number = 0
    for court in courts:
        for kind in kinds:
            for outcome in outcomes:
                for scope in scopes:
                    number += 1
                    ruling = RulingFactory(
                        court=court,
                        kind=kind,
                        outcome=outcome,
                        scope=scope,
                        decided_on=datetime.date(2018, 1, 1) + datetime.timedelta(days=number),
                    )
                    if number % 3:
                        RulingEffectFactory(ruling=ruling, policy=jag)
                    if number % 4 == 0:
                        RulingEffectFactory(ruling=ruling, policy=cops)


MULTIPLE = {"court", "kind", "outcome", "scope"}  # checkboxes; the others choose one
FACET_QUERIES = [
    {},
    {"court": ["ilnd"]},
    {"court": ["ilnd", "ca7"], "kind": ["preliminary_injunction"]},
    {"kind": ["permanent_injunction"], "outcome": ["mixed"]},
    {"scope": ["nationwide"], "policy": "jag-conditions"},
    {"program": "cops", "decided_after": "2018-01-12"},
    {
        "court": ["cand"],
        "outcome": ["challengers"],
        "scope": ["plaintiffs"],
        "program": "byrne-jag",
    },
]


@pytest.mark.parametrize("query", FACET_QUERIES)
def test_each_count_is_the_number_of_rulings_choosing_it_lists(mixed_rulings, query):
    """Whatever else is chosen, the number beside a choice is how many rulings the list shows
    with that choice in place of the facet's own (counted together or apart)."""
    filterset = filters.RulingFilter(query, queryset=published_rulings())
    assert filterset.is_valid(), filterset.errors
    found, total = facets.facets_for(filterset, QueryDict(), facets.RULING_FACETS)
    if any(name not in query for name in MULTIPLE):  # a partitioning facet is not in force
        assert total == filterset.qs.count()
    else:
        assert total is None  # the list counts its records itself
    checked = 0
    for name, facet in found.items():
        for option in facet.options:
            chosen = {**query, name: [option.value] if name in MULTIPLE else option.value}
            listed = filters.RulingFilter(chosen, queryset=published_rulings())
            assert listed.is_valid(), listed.errors
            assert option.count == listed.qs.count(), (name, option.value, query)
            checked += option.count
    assert checked  # some choice matched something


def test_the_counts_are_kept_for_the_same_filters_until_the_data_changes(client, rulings):
    """Another page or another order of the same filtered list reads the counts kept for them;
    a change to the data counts again."""
    counts_of = 'AS "facet"'
    with CaptureQueriesContext(connection) as first:
        before = shown(facet_of(client.get("/rulings/?kind=preliminary_injunction"), "court"))
    with CaptureQueriesContext(connection) as resorted:
        again = client.get("/rulings/?kind=preliminary_injunction&sort=court")
    assert any(counts_of in query["sql"] for query in first)
    assert not any(counts_of in query["sql"] for query in resorted)
    assert shown(facet_of(again, "court")) == before == {"ilnd": 1, "cand": 1}

    RulingFactory(court=Court.objects.get(pk="ca7"), kind=RulingKind.PRELIMINARY_INJUNCTION)

    after = client.get("/rulings/?kind=preliminary_injunction&sort=court")
    assert shown(facet_of(after, "court")) == {"ilnd": 1, "cand": 1, "ca7": 1}


def test_a_renamed_court_shows_under_its_new_name_on_the_next_page(client, rulings):
    before = client.get("/rulings/?decided_after=2000-01-01").content.decode()
    assert "District Court, N.D. Illinois <span" in before

    ilnd = Court.objects.get(pk="ilnd")
    ilnd.name = "District Court, Northern District of Illinois"
    ilnd.save()
    after = client.get("/rulings/?decided_after=2000-01-02").content.decode()

    assert "District Court, N.D. Illinois <span" not in after
    assert "District Court, Northern District of Illinois <span" in after
