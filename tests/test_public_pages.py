"""The public list and detail pages: what a visitor sees, and what they must not."""

import datetime

import pytest
from django.urls import reverse

from cases.models import Court, Disposition, Effect, PublicationState, RulingKind, RulingScope
from tests.factories import (
    FundingProgramFactory,
    JurisdictionFactory,
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
def dispute(courts):
    """A district ruling in two related cases, reviewed by the circuit."""
    program = FundingProgramFactory(slug="byrne-jag", short_name="Byrne JAG")
    policy = PolicyFactory(slug="eo-9a", short_title="EO 13768 §9(a)", programs=[program])
    county = JurisdictionFactory(slug="santa-clara", name="County of Santa Clara")
    city = JurisdictionFactory(slug="san-francisco", name="City and County of San Francisco")
    first = LawsuitFactory(
        slug="santa-clara-v-trump",
        caption="County of Santa Clara v. Trump",
        court=courts["cand"],
        plaintiffs=[county],
        policies=[policy],
    )
    second = LawsuitFactory(
        slug="san-francisco-v-trump",
        caption="City and County of San Francisco v. Trump",
        court=courts["cand"],
        plaintiffs=[city],
        policies=[policy],
    )
    district = RulingFactory(
        court=courts["cand"],
        lawsuits=[first, second],
        decided_on=datetime.date(2017, 11, 20),
        kind=RulingKind.PERMANENT_INJUNCTION,
    )
    RulingEffectFactory(ruling=district, policy=policy, effect=Effect.BLOCKS)
    appeal = RulingFactory(
        court=courts["ca9"],
        lawsuits=[first, second],
        decided_on=datetime.date(2018, 8, 1),
        kind=RulingKind.APPELLATE_OPINION,
        scope=RulingScope.REGIONAL,
        reviews=district,
        disposition=Disposition.AFFIRMED_IN_PART,
        citation="897 F.3d 1225",
    )
    effect = RulingEffectFactory(ruling=appeal, policy=policy, effect=Effect.NARROWS_BLOCK)
    effect.protected.set([county, city])
    return {
        "program": program,
        "policy": policy,
        "lawsuits": (first, second),
        "district": district,
        "appeal": appeal,
        "plaintiffs": (county, city),
    }


@pytest.mark.parametrize(
    "name",
    [
        "cases:home",
        "cases:ruling-list",
        "cases:lawsuit-list",
        "cases:policy-list",
        "cases:program-list",
        "cases:court-list",
        "cases:jurisdiction-list",
    ],
)
def test_every_list_page_answers(client, dispute, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert b"<h1>" in response.content


def test_one_order_in_two_cases_is_one_ruling_shown_on_both_lawsuits(client, dispute):
    for lawsuit in dispute["lawsuits"]:
        response = client.get(lawsuit.get_absolute_url())
        assert dispute["district"].get_absolute_url().encode() in response.content

    response = client.get(dispute["district"].get_absolute_url())
    assert b"County of Santa Clara v. Trump" in response.content
    assert b"City and County of San Francisco v. Trump" in response.content


def test_ruling_page_links_court_lawsuits_policy_and_the_appeal_both_ways(client, dispute):
    district, appeal = dispute["district"], dispute["appeal"]

    page = client.get(district.get_absolute_url()).content.decode()
    assert reverse("cases:court-detail", kwargs={"pk": "cand"}) in page
    assert dispute["lawsuits"][0].get_absolute_url() in page
    assert dispute["policy"].get_absolute_url() in page
    assert f'href="{appeal.get_absolute_url()}"' in page
    assert "affirmed in part" in page

    appeal_page = client.get(appeal.get_absolute_url()).content.decode()
    assert f'href="{district.get_absolute_url()}"' in appeal_page
    assert "897 F.3d 1225" in appeal_page
    assert "County of Santa Clara" in appeal_page  # whom the narrowed block protects


def test_court_page_lists_its_rulings_and_a_circuit_its_district_courts(client, dispute):
    district_page = client.get(reverse("cases:court-detail", kwargs={"pk": "cand"}))
    assert dispute["district"].get_absolute_url().encode() in district_page.content
    assert dispute["appeal"].get_absolute_url().encode() not in district_page.content

    circuit_page = client.get(reverse("cases:court-detail", kwargs={"pk": "ca9"}))
    assert dispute["appeal"].get_absolute_url().encode() in circuit_page.content
    assert b"District Court, N.D. California" in circuit_page.content


def test_program_page_lists_its_policies_and_challenges(client, dispute):
    response = client.get(dispute["program"].get_absolute_url())

    assert dispute["policy"].get_absolute_url().encode() in response.content
    assert dispute["lawsuits"][0].get_absolute_url().encode() in response.content
    assert dispute["district"].get_absolute_url().encode() in response.content


def test_jurisdiction_page_lists_its_lawsuits_and_protecting_rulings(client, dispute):
    county = dispute["plaintiffs"][0]

    response = client.get(county.get_absolute_url())

    assert dispute["lawsuits"][0].get_absolute_url().encode() in response.content
    assert dispute["appeal"].get_absolute_url().encode() in response.content


def test_drafts_are_not_public_anywhere(client, courts):
    policy = PolicyFactory(short_title="Draft policy", publication_state=DRAFT)
    lawsuit = LawsuitFactory(
        caption="Draft v. Public", publication_state=DRAFT, court=courts["cand"]
    )
    ruling = RulingFactory(court=courts["cand"], publication_state=DRAFT, summary="Secret draft")
    published = RulingFactory(court=courts["cand"], lawsuits=[lawsuit], summary="Public ruling")
    RulingEffectFactory(ruling=published, policy=policy)

    for url in (policy.get_absolute_url(), lawsuit.get_absolute_url(), ruling.get_absolute_url()):
        assert client.get(url).status_code == 404
    for name in ("cases:ruling-list", "cases:lawsuit-list", "cases:policy-list"):
        for suffix in ("", "?format=csv", "?format=json"):
            response = client.get(reverse(name) + suffix)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert b"Draft policy" not in body
            assert b"Draft v. Public" not in body
            assert b"Secret draft" not in body
    detail = client.get(published.get_absolute_url())
    assert b"Draft v. Public" not in detail.content
    assert b"Draft policy" not in detail.content


def test_unknown_records_are_404(client, courts):
    for url in ("/rulings/999999/", "/lawsuits/nope/", "/policies/nope/", "/programs/nope/"):
        assert client.get(url).status_code == 404
    assert client.get("/courts/zzz/").status_code == 404
    assert client.get("/jurisdictions/nope/").status_code == 404


def test_public_pages_are_read_only(client, dispute):
    for url in ("/rulings/", dispute["district"].get_absolute_url(), "/lawsuits/"):
        assert client.post(url, {"q": "x"}).status_code == 405


def test_list_pages_paginate_and_out_of_range_pages_are_404(client, courts):
    RulingFactory.create_batch(51, court=courts["ilnd"])

    first = client.get("/rulings/")
    second = client.get("/rulings/?page=2")

    assert first.status_code == 200 and b'rel="next"' in first.content
    assert second.status_code == 200 and len(second.context["rows"]) == 1
    assert client.get("/rulings/?page=3").status_code == 404
    assert client.get("/rulings/?page=0").status_code == 400


def test_dates_known_only_to_the_month_are_shown_as_month(client, courts):
    LawsuitFactory(
        caption="California v. Sessions",
        court=courts["cand"],
        filed_on=datetime.date(2017, 8, 1),
        filed_on_precision="month",
    )

    response = client.get("/lawsuits/")

    assert b"Aug 2017" in response.content
    assert b"1 Aug 2017" not in response.content


def test_lawsuit_page_shows_its_path_through_the_courts(client, dispute):
    page = client.get(dispute["lawsuits"][0].get_absolute_url()).content.decode()

    chain = page[page.index("Path through the courts") :]
    assert chain.index("N.D. Cal.") < chain.index("9th Cir.")
    assert "affirmed in part" in chain


def test_detail_pages_have_a_permanent_link_and_a_citation_line(client, dispute):
    policy = dispute["policy"]

    page = client.get(policy.get_absolute_url()).content.decode()

    assert f"http://testserver{policy.get_absolute_url()}" in page
    assert "“EO 13768 §9(a)”, Sanctuary funding litigation tracker, last updated" in page


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/rulings/", "Rulings"),
        ("/lawsuits/", "Lawsuits"),
        ("/policies/", "Policies"),
        ("/programs/", "Programs"),
        ("/courts/", "Courts"),
        ("/jurisdictions/", "Jurisdictions"),
        ("/timeline/", "Timeline"),
        ("/", None),
    ],
)
def test_the_main_navigation_marks_the_page_it_is_on(client, court_data, path, current):
    page = client.get(path).content.decode()
    nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]

    assert nav.count("<li><a href=") == 7
    for link in ("/rulings/", "/lawsuits/", "/policies/", "/timeline/"):
        assert f'<a href="{link}"' in nav
    if current is None:
        assert "aria-current" not in nav
    else:
        assert nav.count("aria-current") == 1
        assert f'aria-current="page">{current}</a>' in nav
