"""The timeline at /timeline/: what it shows, in what order, how exactly, and how it filters."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import timeline as timeline_module
from cases.models import (
    Court,
    DatePrecision,
    Effect,
    PolicyEnd,
    PublicationState,
    RulingKind,
    RulingOutcome,
)
from cases.status.triggers import deferred
from tests.factories import (
    FundingProgramFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

DRAFT = PublicationState.DRAFT


@pytest.fixture
def courts(court_data):
    return {pk: Court.objects.get(pk=pk) for pk in ("cand", "ilnd", "paed", "ca9", "ca7")}


@pytest.fixture
def story(courts):
    """An executive order challenged in California, grant conditions challenged in Chicago."""
    jag = FundingProgramFactory(slug="byrne-jag", short_name="Byrne JAG")
    order = PolicyFactory(
        slug="eo-9a",
        short_title="EO 13768 §9(a)",
        issued_on=datetime.date(2017, 1, 25),
        ended_on=datetime.date(2021, 1, 20),
        end_kind=PolicyEnd.REVOKED,
        ended_by="Executive Order 13993",
    )
    conditions = PolicyFactory(
        slug="jag-conditions",
        short_title="JAG conditions",
        issued_on=datetime.date(2017, 7, 1),
        issued_on_precision=DatePrecision.MONTH,
        programs=[jag],
    )
    sf = LawsuitFactory(
        slug="sf-v-trump",
        caption="San Francisco v. Trump",
        court=courts["cand"],
        filed_on=datetime.date(2017, 1, 31),
        policies=[order],
    )
    chicago = LawsuitFactory(
        slug="chicago-v-sessions",
        caption="Chicago v. Sessions",
        court=courts["ilnd"],
        filed_on=datetime.date(2017, 8, 1),
        filed_on_precision=DatePrecision.MONTH,
        policies=[conditions],
    )
    sf_pi = RulingFactory(
        court=courts["cand"], lawsuits=[sf], decided_on=datetime.date(2017, 4, 25)
    )
    RulingEffectFactory(ruling=sf_pi, policy=order, effect=Effect.BLOCKS)
    chicago_pi = RulingFactory(
        court=courts["ilnd"], lawsuits=[chicago], decided_on=datetime.date(2017, 9, 15)
    )
    RulingEffectFactory(ruling=chicago_pi, policy=conditions, effect=Effect.BLOCKS)
    appeal = RulingFactory(
        court=courts["ca7"],
        lawsuits=[chicago],
        decided_on=datetime.date(2018, 4, 19),
        kind=RulingKind.APPELLATE_OPINION,
        reviews=chicago_pi,
        disposition="affirmed",
    )
    RulingEffectFactory(ruling=appeal, policy=conditions, effect=Effect.KEEPS_BLOCK)
    return {
        "program": jag,
        "order": order,
        "conditions": conditions,
        "sf": sf,
        "chicago": chicago,
        "sf_pi": sf_pi,
        "chicago_pi": chicago_pi,
        "appeal": appeal,
    }


def events(response) -> list[tuple[str, str]]:
    """(kind, datetime attribute) of each event on the page, in page order."""
    html = response.content.decode()
    return re.findall(
        r'<li class="timeline-event timeline-(\w+)">\s*<time datetime="([\d-]+)">', html
    )


def linked(response) -> list[str]:
    """The record each event links to first, in page order."""
    html = response.content.decode()
    return re.findall(r'<li class="timeline-event[^"]*">.*?<a href="([^"]+)"', html, re.S)


# --- Content and order --------------------------------------------------------------------------


def test_timeline_lists_every_kind_of_event_in_date_order(client, story):
    response = client.get("/timeline/")

    assert response.status_code == 200
    assert events(response) == [
        ("policy", "2017-01-25"),
        ("filing", "2017-01-31"),
        ("ruling", "2017-04-25"),
        ("policy", "2017-07"),
        ("filing", "2017-08"),
        ("ruling", "2017-09-15"),
        ("ruling", "2018-04-19"),
        ("end", "2021-01-20"),
    ]


def test_each_event_links_the_record_it_is_about(client, story):
    response = client.get("/timeline/")

    assert linked(response) == [
        story["order"].get_absolute_url(),
        story["sf"].get_absolute_url(),
        story["sf_pi"].get_absolute_url(),
        story["conditions"].get_absolute_url(),
        story["chicago"].get_absolute_url(),
        story["chicago_pi"].get_absolute_url(),
        story["appeal"].get_absolute_url(),
        story["order"].get_absolute_url(),
    ]


def test_dates_known_only_to_the_month_show_no_day(client, story):
    html = client.get("/timeline/").content.decode()

    assert '<time datetime="2017-07">Jul 2017</time>' in html
    assert '<time datetime="2017-08">Aug 2017</time>' in html
    assert "1 Jul 2017" not in html
    assert "1 Aug 2017" not in html
    assert '<time datetime="2017-01-25">25 Jan 2017</time>' in html


def test_a_date_known_only_to_the_year_shows_the_year_and_comes_first_in_it(client, courts):
    PolicyFactory(issued_on=datetime.date(2019, 3, 5))
    PolicyFactory(issued_on=datetime.date(2019, 6, 1), issued_on_precision=DatePrecision.YEAR)

    response = client.get("/timeline/")

    assert events(response) == [("policy", "2019"), ("policy", "2019-03-05")]
    assert "2019, month not known" in response.content.decode()


def test_a_month_only_event_comes_before_the_days_of_its_month(client, courts):
    LawsuitFactory(court=courts["cand"], filed_on=datetime.date(2017, 8, 3))
    LawsuitFactory(
        court=courts["cand"],
        filed_on=datetime.date(2017, 8, 20),
        filed_on_precision=DatePrecision.MONTH,
    )

    assert events(client.get("/timeline/")) == [("filing", "2017-08"), ("filing", "2017-08-03")]


def test_events_are_grouped_under_year_and_month_headings(client, story):
    html = client.get("/timeline/").content.decode()

    assert re.search(r'<ol class="timeline">\s*<li class="timeline-year">\s*<h2[^>]*>2017', html)
    headings = re.findall(r"<h3>([^<]+)</h3>", html)
    assert headings == [
        "January 2017",
        "April 2017",
        "July 2017",
        "August 2017",
        "September 2017",
        "April 2018",
        "January 2021",
    ]


def test_a_policy_end_says_how_and_by_what(client, story):
    html = client.get("/timeline/?kind=end").content.decode()

    assert "Policy revoked" in html
    assert "by Executive Order 13993" in html


def test_drafts_never_appear(client, story, courts):
    PolicyFactory(short_title="Secret draft policy", publication_state=DRAFT)
    LawsuitFactory(caption="Draft v. Nobody", court=courts["cand"], publication_state=DRAFT)
    draft = RulingFactory(
        court=courts["cand"],
        lawsuits=[story["sf"]],
        decided_on=datetime.date(2017, 5, 1),
        publication_state=DRAFT,
    )
    hidden = LawsuitFactory(caption="Hidden case", court=courts["cand"], publication_state=DRAFT)
    story["sf_pi"].lawsuits.add(hidden)

    html = client.get("/timeline/").content.decode()

    assert "Secret draft policy" not in html
    assert "Draft v. Nobody" not in html
    assert "Hidden case" not in html
    assert draft.get_absolute_url() not in html
    assert len(events(client.get("/timeline/"))) == 8


def test_the_empty_timeline_says_so(client, db):
    response = client.get("/timeline/")

    assert response.status_code == 200
    assert "No events match these filters." in response.content.decode()


# --- Filters ------------------------------------------------------------------------------------


def test_a_policy_timeline_shows_the_policy_its_suits_and_its_rulings(client, story):
    response = client.get("/timeline/?policy=eo-9a")

    assert events(response) == [
        ("policy", "2017-01-25"),
        ("filing", "2017-01-31"),
        ("ruling", "2017-04-25"),
        ("end", "2021-01-20"),
    ]
    assert "EO 13768 §9(a)" in response.content.decode()


def test_a_lawsuit_timeline_shows_the_policy_it_challenges_its_filing_and_rulings(client, story):
    response = client.get("/timeline/?lawsuit=chicago-v-sessions")

    assert events(response) == [
        ("policy", "2017-07"),
        ("filing", "2017-08"),
        ("ruling", "2017-09-15"),
        ("ruling", "2018-04-19"),
    ]


def test_a_program_timeline_follows_the_policies_that_condition_it(client, story):
    assert events(client.get("/timeline/?program=byrne-jag")) == events(
        client.get("/timeline/?policy=jag-conditions")
    )


def test_a_court_timeline_shows_its_filings_and_rulings_and_the_policies_challenged(client, story):
    response = client.get("/timeline/?court=cand")

    assert events(response) == [
        ("policy", "2017-01-25"),
        ("filing", "2017-01-31"),
        ("ruling", "2017-04-25"),
        ("end", "2021-01-20"),
    ]


def test_court_is_repeatable(client, story):
    response = client.get("/timeline/?court=cand&court=ca7&kind=ruling")

    assert events(response) == [("ruling", "2017-04-25"), ("ruling", "2018-04-19")]


def test_policy_lawsuit_and_program_are_repeatable(client, story):
    both = client.get("/timeline/?policy=eo-9a&policy=jag-conditions")
    suits = client.get("/timeline/?lawsuit=sf-v-trump&lawsuit=chicago-v-sessions")

    assert len(events(both)) == 8
    assert len(events(suits)) == 8  # the policies they challenge, with the order's end


def test_circuit_covers_the_court_of_appeals_and_its_district_courts(client, story):
    response = client.get("/timeline/?circuit=ca7&kind=ruling&kind=filing")

    assert events(response) == [
        ("filing", "2017-08"),
        ("ruling", "2017-09-15"),
        ("ruling", "2018-04-19"),
    ]


def test_after_and_before_keep_events_on_those_days_and_between(client, story):
    response = client.get("/timeline/?after=2017-04-25&before=2017-09-15")

    assert events(response) == [
        ("ruling", "2017-04-25"),
        ("policy", "2017-07"),
        ("filing", "2017-08"),
        ("ruling", "2017-09-15"),
    ]


def test_kind_keeps_only_the_kinds_asked_for(client, story):
    assert [kind for kind, _ in events(client.get("/timeline/?kind=filing"))] == ["filing"] * 2
    assert events(client.get("/timeline/?kind=end")) == [("end", "2021-01-20")]
    both = {kind for kind, _ in events(client.get("/timeline/?kind=policy&kind=end"))}
    assert both == {"policy", "end"}


def test_different_filters_combine(client, story):
    response = client.get("/timeline/?policy=jag-conditions&court=ca7")

    assert events(response) == [("policy", "2017-07"), ("ruling", "2018-04-19")]


def test_active_filters_name_and_link_the_record(client, story):
    html = client.get("/timeline/?policy=eo-9a&kind=ruling").content.decode()

    assert 'href="/policies/eo-9a/">EO 13768 §9(a)</a>' in html
    assert "Showing events for" in html
    assert 'href="?kind=ruling"' in html  # removes the policy, keeps the rest


def test_empty_values_mean_no_filter(client, story):
    response = client.get("/timeline/?policy=&court=&circuit=&after=&before=&kind=")

    assert response.status_code == 200
    assert len(events(response)) == 8


# --- Invalid parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "policy=no-such-policy",
        "lawsuit=no-such-suit",
        "program=no-such-program",
        "court=zzz",
        "court=cand&court=zzz",
        "circuit=cand",
        "circuit=zzz",
        "after=2017-13-01",
        "after=20170101",
        "before=1%2F2%2F2017",
        "after=2018-01-01&before=2017-01-01",
        "circuit=ca7&circuit=ca9",
        "after=2017-01-01&after=2018-01-01",
        "kind=appeal",
    ],
)
def test_an_invalid_filter_answers_400_with_the_form_and_the_error(client, story, query):
    response = client.get(f"/timeline/?{query}")

    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="errors"' in html
    assert '<form method="get" class="filters"' in html
    assert "timeline-event" not in html


def test_a_draft_policy_is_not_a_valid_filter(client, story):
    PolicyFactory(slug="draft-policy", publication_state=DRAFT)

    assert client.get("/timeline/?policy=draft-policy").status_code == 400


def test_a_nul_byte_answers_400(client, story):
    response = client.get("/timeline/?policy=eo-9a%00")

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_byte_in_a_parameter_name_answers_400(client, story):
    assert client.get("/timeline/?po%00licy=eo-9a").status_code == 400


def test_the_timeline_only_answers_get_and_head(client, story):
    assert client.post("/timeline/").status_code == 405
    assert client.head("/timeline/").status_code == 200


# --- Queries ------------------------------------------------------------------------------------


def add_events(count: int, court: Court) -> None:
    """`count` policies, each challenged by a suit with a ruling: 3 * count events, plus ends
    (the statuses rebuilt once, at the end, as the admin does for a request)."""
    with deferred():
        for index in range(count):
            policy = PolicyFactory(
                issued_on=datetime.date(2017, 1, 1) + datetime.timedelta(days=index),
                ended_on=datetime.date(2021, 1, 20),
                end_kind=PolicyEnd.REVOKED,
            )
            suit = LawsuitFactory(court=court, policies=[policy])
            ruling = RulingFactory(court=court, lawsuits=[suit], outcome=RulingOutcome.MIXED)
            RulingEffectFactory(ruling=ruling, policy=policy)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/timeline/",
        "/timeline/?court=ilnd&circuit=ca7&after=2016-01-01&before=2030-01-01",
        "/timeline/?kind=ruling&kind=filing",
    ],
)
def test_queries_do_not_grow_with_events(client, courts, url):
    add_events(1, courts["ilnd"])
    program = FundingProgramFactory(slug="prog")
    first = count_queries(client, url)
    add_events(29, courts["ilnd"])
    again = count_queries(client, url)  # the data changed: rendered afresh, not from the cache
    html = client.get(url).content.decode()

    assert again == first
    assert html.count("timeline-event ") >= 30
    # The events, the form's choices, the court facet's counts (one grouped query) and the
    # kind, policy and program facets' counts (one query each).
    assert first <= 19
    assert program.slug in html  # the form's choices are on the page


def test_queries_do_not_grow_with_events_when_filtered_by_record(client, courts):
    add_events(1, courts["ilnd"])
    policy = PolicyFactory(slug="watched")
    url = "/timeline/?policy=watched&lawsuit=" + LawsuitFactory(policies=[policy]).slug
    first = count_queries(client, url)
    for _ in range(29):
        suit = LawsuitFactory(court=courts["ilnd"], policies=[policy])
        RulingEffectFactory(
            ruling=RulingFactory(court=courts["ilnd"], lawsuits=[suit]), policy=policy
        )

    assert count_queries(client, url) == first


# --- Links from the records ---------------------------------------------------------------------


def test_detail_pages_link_their_timeline(client, story, courts):
    pages = {
        story["order"].get_absolute_url(): "/timeline/?policy=eo-9a",
        story["sf"].get_absolute_url(): "/timeline/?lawsuit=sf-v-trump",
        story["program"].get_absolute_url(): "/timeline/?program=byrne-jag",
        courts["cand"].get_absolute_url(): "/timeline/?court=cand",
        courts["ca7"].get_absolute_url(): "/timeline/?circuit=ca7",
    }
    for page, timeline in pages.items():
        html = client.get(page).content.decode()
        assert f'href="{timeline}"' in html, page
        assert client.get(timeline).status_code == 200


def test_the_seeded_timeline_shows_every_published_record(client, seeded):
    from cases.models import Lawsuit, Policy, Ruling

    response = client.get("/timeline/")
    kinds = [kind for kind, _ in events(response)]

    assert response.status_code == 200
    assert kinds.count("policy") == Policy.objects.published().count()
    assert kinds.count("filing") == Lawsuit.objects.published().count()
    assert kinds.count("ruling") == Ruling.objects.published().count()
    assert kinds.count("end") == Policy.objects.published().exclude(ended_on=None).count()


def test_several_lawsuits_typed_in_one_box_are_each_removable(client, courts):
    first = LawsuitFactory(slug="first-suit", caption="First v. Sessions")
    second = LawsuitFactory(slug="second-suit", caption="Second v. Sessions")
    response = client.get("/timeline/?lawsuit=first-suit+second-suit")
    html = response.content.decode()

    assert response.status_code == 200
    assert first.caption in html and second.caption in html
    assert 'value="first-suit second-suit"' in html  # the box shows what was typed
    assert "lawsuit=second-suit" in html and "lawsuit=first-suit" in html  # each chip's remove link


def test_a_long_timeline_is_cut_into_pages_that_lose_nothing(client, courts, monkeypatch):
    monkeypatch.setattr(timeline_module, "PAGE_EVENTS", 5)
    suit = LawsuitFactory(filed_on=datetime.date(2017, 1, 1), court=courts["ilnd"])
    for day in range(1, 9):
        RulingFactory(lawsuits=[suit], court=courts["ilnd"], decided_on=datetime.date(2017, 2, day))
    response = client.get("/timeline/?kind=ruling")
    html = response.content.decode()

    assert html.count("timeline-event ") == 5
    assert "More than" in html
    later = re.search(r'href="(\?[^"]*after=2017-02-05[^"]*)"', html)
    assert later, "a link continues from the last day shown"
    rest = client.get("/timeline/" + later.group(1).replace("&amp;", "&")).content.decode()
    assert rest.count("timeline-event ") == 4  # 5 Feb again, then 6 to 8 Feb
    assert "More than" not in rest
