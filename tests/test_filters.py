"""Filtering the public lists: every documented parameter narrows the list, filters combine,
and a bad value is a 400 that shows the form with its error, never a silent fallback."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.http import QueryDict

from cases.filters import RulingFilter
from cases.models import Court, Effect, LawsuitStatus, Ruling, RulingKind, RulingOutcome
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


@shared_data
def data() -> dict:
    """Courts, programs, policies, lawsuits and rulings to filter (shared by the tests, which only
    read them)."""
    call_command("loaddata", "fixtures/courts.json", verbosity=0)
    courts = {pk: Court.objects.get(pk=pk) for pk in ("cand", "ilnd", "paed", "ca7", "ca9")}
    jag = FundingProgramFactory(slug="byrne-jag")
    cops = FundingProgramFactory(slug="cops-hiring")
    conditions = PolicyFactory(slug="jag-conditions", programs=[jag])
    preference = PolicyFactory(slug="cops-preference", programs=[cops])
    chicago = JurisdictionFactory(slug="chicago", name="City of Chicago", state="IL")
    chicago_suit = LawsuitFactory(
        slug="chicago-v-sessions",
        caption="City of Chicago v. Sessions",
        court=courts["ilnd"],
        plaintiffs=[chicago],
        policies=[conditions],
        filed_on=datetime.date(2017, 8, 7),
        status=LawsuitStatus.CLOSED,
    )
    la_suit = LawsuitFactory(
        slug="los-angeles-v-sessions",
        caption="City of Los Angeles v. Sessions",
        court=courts["cand"],
        policies=[preference],
        filed_on=datetime.date(2017, 9, 29),
    )
    statutory = GroundFactory(slug="statutory-authority")
    rulings = {
        "ilnd_pi": RulingFactory(
            court=courts["ilnd"],
            lawsuits=[chicago_suit],
            decided_on=datetime.date(2017, 9, 15),
            kind=RulingKind.PRELIMINARY_INJUNCTION,
            outcome=RulingOutcome.MIXED,
            summary="Notice and access conditions enjoined nationwide",
        ),
        "ca7": RulingFactory(
            court=courts["ca7"],
            lawsuits=[chicago_suit],
            decided_on=datetime.date(2018, 4, 19),
            kind=RulingKind.APPELLATE_OPINION,
            citation="888 F.3d 272",
        ),
        "cand": RulingFactory(
            court=courts["cand"],
            lawsuits=[la_suit],
            decided_on=datetime.date(2018, 4, 11),
            kind=RulingKind.PERMANENT_INJUNCTION,
            outcome=RulingOutcome.GOVERNMENT,
        ),
    }
    rulings["ilnd_pi"].grounds.set([statutory])
    RulingEffectFactory(ruling=rulings["ilnd_pi"], policy=conditions, effect=Effect.BLOCKS)
    RulingEffectFactory(ruling=rulings["ca7"], policy=conditions, effect=Effect.KEEPS_BLOCK)
    RulingEffectFactory(ruling=rulings["cand"], policy=preference, effect=Effect.BLOCKS)
    return {"rulings": rulings, "lawsuits": {"chicago": chicago_suit, "la": la_suit}}


def listed(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return list(response.context["rows"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("court=ilnd", {"ilnd_pi"}),
        ("court=ilnd&court=ca7", {"ilnd_pi", "ca7"}),
        ("court=paed", set()),
        ("circuit=ca7", {"ilnd_pi", "ca7"}),
        ("circuit=ca9", {"cand"}),
        ("kind=appellate_opinion", {"ca7"}),
        ("kind=appellate_opinion&kind=permanent_injunction", {"ca7", "cand"}),
        ("outcome=mixed", {"ilnd_pi"}),
        ("outcome=government", {"cand"}),
        ("decided_after=2018-01-01", {"ca7", "cand"}),
        ("decided_before=2018-04-11", {"ilnd_pi", "cand"}),
        ("decided_after=2018-04-12&decided_before=2018-12-31", {"ca7"}),
        ("policy=jag-conditions", {"ilnd_pi", "ca7"}),
        ("program=cops-hiring", {"cand"}),
        ("lawsuit=chicago-v-sessions", {"ilnd_pi", "ca7"}),
        ("ground=statutory-authority", {"ilnd_pi"}),
        ("q=888+F.3d", {"ca7"}),
        ("q=los+angeles", {"cand"}),
        ("q=notice+access", {"ilnd_pi"}),
        ("circuit=ca7&kind=preliminary_injunction&policy=jag-conditions", {"ilnd_pi"}),
        ("court=cand&program=byrne-jag", set()),
    ],
)
def test_ruling_filters(client, data, query, expected):
    rows = listed(client, f"/rulings/?{query}")

    shown = {row.pk for row in rows}
    names = {name for name, ruling in data["rulings"].items() if ruling.pk in shown}
    assert names == expected
    assert len(rows) == len(expected)  # no duplicates from joins


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("court=ilnd", {"chicago"}),
        ("circuit=ca9", {"la"}),
        ("status=closed", {"chicago"}),
        ("status=pending", {"la"}),
        ("policy=cops-preference", {"la"}),
        ("program=byrne-jag", {"chicago"}),
        ("plaintiff=chicago", {"chicago"}),
        ("filed_after=2017-09-01", {"la"}),
        ("filed_before=2017-08-31", {"chicago"}),
        ("q=chicago", {"chicago"}),
    ],
)
def test_lawsuit_filters(client, data, query, expected):
    rows = listed(client, f"/lawsuits/?{query}")

    assert {name for name, suit in data["lawsuits"].items() if suit in rows} == expected


def test_other_lists_filter_too(client, data):
    assert [p.slug for p in listed(client, "/policies/?program=byrne-jag")] == ["jag-conditions"]
    assert [p.slug for p in listed(client, "/policies/?kind=executive_order")] == []
    assert [p.slug for p in listed(client, "/programs/?q=")] == ["byrne-jag", "cops-hiring"]
    assert {c.pk for c in listed(client, "/courts/?has_cases=true")} == {"cand", "ilnd", "ca7"}
    assert {c.pk for c in listed(client, "/courts/?circuit=ca7&level=district")} == {
        "ilcd",
        "ilnd",
        "ilsd",
        "innd",
        "insd",
        "wied",
        "wiwd",
    }
    assert [j.slug for j in listed(client, "/jurisdictions/?role=plaintiff")] == ["chicago"]
    assert [j.slug for j in listed(client, "/jurisdictions/?state=il")] == ["chicago"]


def test_sort_orders_rows_with_a_stable_tie_breaker(client, data):
    newest = listed(client, "/rulings/")
    oldest = listed(client, "/rulings/?sort=decided_on")
    by_court = listed(client, "/rulings/?sort=court")

    assert [r.decided_on for r in newest] == sorted((r.decided_on for r in newest), reverse=True)
    assert oldest == list(reversed(newest))
    court_names = [Court.objects.get(pk=r.court_id).name for r in by_court]
    assert court_names == sorted(court_names)


@pytest.mark.parametrize(
    "query",
    [
        "court=zzz",
        "court=ilnd&court=nowhere",
        "circuit=ilnd",
        "kind=verdict",
        "outcome=won",
        "decided_after=yesterday",
        "decided_before=2017-13-01",
        "decided_after=20-11-2017",
        "policy=no-such-policy",
        "program=no-such-program",
        "sort=random",
        "q=%00",
        "court=il%00nd",
        "page=abc",
    ],
)
def test_invalid_values_are_a_400_page_with_the_form_and_its_error(client, data, query):
    response = client.get(f"/rulings/?{query}")

    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert b'<form method="get"' in response.content
    assert b"Download CSV" not in response.content  # no silent fallback to the whole list
    assert data["rulings"]["cand"].get_absolute_url().encode() not in response.content


def test_the_form_shows_active_filters_each_with_a_link_that_clears_it(client, data):
    response = client.get("/rulings/?court=ilnd&court=ca7&kind=preliminary_injunction")

    active = response.context["active_filters"]
    assert [(item["name"], item["value"]) for item in active] == [
        ("Court", "District Court, N.D. Illinois"),
        ("Court", "Court of Appeals for the Seventh Circuit"),
        ("Kind of ruling", "Preliminary injunction"),
    ]
    without_ilnd = active[0]["remove"]
    assert "court=ilnd" not in without_ilnd
    assert "court=ca7" in without_ilnd and "kind=preliminary_injunction" in without_ilnd


def test_each_filterset_has_its_own_filters_and_form_fields(data):
    """Filters and form fields are copied shallowly for each request (cases.filters): what one
    request's FilterSet binds or sets stays its own, and its filter methods filter its data."""
    first = RulingFilter(QueryDict("policy=jag-conditions"), queryset=Ruling.objects.all())
    second = RulingFilter(QueryDict("policy=cops-preference"), queryset=Ruling.objects.all())
    assert first.is_valid() and second.is_valid()

    assert first.filters["policy"] is not second.filters["policy"]
    assert first.filters["court"].field is second.filters["court"].field  # built once
    assert first.filters["policy"].parent is first and second.filters["policy"].parent is second
    assert set(first.qs) == {data["rulings"]["ilnd_pi"], data["rulings"]["ca7"]}
    assert set(second.qs) == {data["rulings"]["cand"]}

    first.form.fields["court"].facet = "first's counts"
    first.form.fields["q"].widget.attrs["placeholder"] = "first's"
    assert not hasattr(second.form.fields["court"], "facet")
    assert "placeholder" not in second.form.fields["q"].widget.attrs
    assert not hasattr(RulingFilter(QueryDict()).form.fields["court"], "facet")


def test_a_chosen_value_or_error_never_reaches_the_next_page(client, data):
    client.get("/rulings/?policy=jag-conditions&kind=appellate_opinion")
    assert client.get("/rulings/?decided_after=2017-13-01").status_code == 400

    page = client.get("/rulings/").content.decode()

    assert '<option value="jag-conditions">' in page
    assert '<option value="jag-conditions" selected>' not in page
    assert re.search(r'<input[^>]*value="appellate_opinion"[^>]*>', page)
    assert not re.search(r'<input[^>]*value="appellate_opinion"[^>]*checked', page)
    assert 'role="alert"' not in page


def test_each_remove_link_is_the_query_without_that_value_and_the_page(client, data):
    query = "q=%C3%A9t%C3%A9+%26+more&court=ilnd&page=1&court=ca7&court=ilnd"
    active = client.get(f"/rulings/?{query}&format=html").context["active_filters"]

    expected = {}
    for item in active:
        params = QueryDict(query, mutable=True)
        param = {"Search": "q", "Court": "court"}[item["name"]]
        raw = {"été & more": "été & more"}.get(item["value"]) or {
            "District Court, N.D. Illinois": "ilnd",
            "Court of Appeals for the Seventh Circuit": "ca7",
        }[item["value"]]
        params.setlist(param, [v for v in params.getlist(param) if v != raw])
        params.pop("page")
        expected[item["value"]] = params.urlencode()
    assert {item["value"]: item["remove"] for item in active} == expected
    assert expected["District Court, N.D. Illinois"] == "q=%C3%A9t%C3%A9+%26+more&court=ca7"
