"""Draft policies reach the public by no path: a record linked to a funding program (or a
policy) only through a draft policy is not counted, listed, exported or put in a feed or the
timeline under that program."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cases.models import PublicationState
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
def program_links():
    """Program "byrne-jag", conditioned by a published and a draft policy; a lawsuit and a
    ruling reach it through each."""
    program = FundingProgramFactory(slug="byrne-jag", short_name="Byrne JAG")
    public = PolicyFactory(slug="public-policy", short_title="Public policy", programs=[program])
    draft = PolicyFactory(
        slug="draft-policy",
        short_title="Secret draft policy",
        programs=[program],
        publication_state=DRAFT,
    )
    public_suit = LawsuitFactory(caption="Public suit v. Agency", policies=[public])
    draft_suit = LawsuitFactory(caption="Draft-only suit v. Agency", policies=[draft])
    public_ruling = RulingFactory(summary="Ruling on the public policy", lawsuits=[public_suit])
    RulingEffectFactory(ruling=public_ruling, policy=public)
    draft_ruling = RulingFactory(summary="Ruling on the draft policy only", lawsuits=[draft_suit])
    RulingEffectFactory(ruling=draft_ruling, policy=draft)
    return {"public_ruling": public_ruling, "draft_ruling": draft_ruling}


def text_of(response) -> str:
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_rulings_by_program_leave_out_those_only_on_a_draft_policy(client, program_links):
    page = client.get("/rulings/?program=byrne-jag")

    assert page.context["count"] == 1
    assert [row.pk for row in page.context["rows"]] == [program_links["public_ruling"].pk]
    assert "Secret draft policy" not in text_of(page)


def test_lawsuits_by_program_leave_out_those_only_against_a_draft_policy(client, program_links):
    page = client.get("/lawsuits/?program=byrne-jag")

    assert page.context["count"] == 1
    assert "Public suit v. Agency" in text_of(page)
    assert "Draft-only suit" not in text_of(page)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_by_program_leave_out_draft_links(client, program_links, fmt):
    rulings = text_of(client.get(f"/rulings/?program=byrne-jag&format={fmt}"))
    lawsuits = text_of(client.get(f"/lawsuits/?program=byrne-jag&format={fmt}"))

    if fmt == "csv":
        ruling_rows = list(csv.DictReader(io.StringIO(rulings)))
        lawsuit_rows = list(csv.DictReader(io.StringIO(lawsuits)))
    else:
        ruling_rows, lawsuit_rows = json.loads(rulings), json.loads(lawsuits)
    assert [row["summary"] for row in ruling_rows] == ["Ruling on the public policy"]
    assert [row["caption"] for row in lawsuit_rows] == ["Public suit v. Agency"]
    assert "Secret draft policy" not in rulings + lawsuits


def test_the_filtered_feed_leaves_out_rulings_only_on_a_draft_policy(client, program_links):
    feed = text_of(client.get("/rulings/feed/?program=byrne-jag"))

    assert f"/rulings/{program_links['public_ruling'].pk}/" in feed
    assert f"/rulings/{program_links['draft_ruling'].pk}/" not in feed


def test_the_timeline_by_program_leaves_out_draft_links(client, program_links):
    page = text_of(client.get("/timeline/?program=byrne-jag"))

    assert "Public suit v. Agency" in page
    assert f"/rulings/{program_links['public_ruling'].pk}/" in page
    assert "Draft-only suit" not in page
    assert f"/rulings/{program_links['draft_ruling'].pk}/" not in page
    assert "Secret draft policy" not in page


def test_the_program_page_counts_only_public_links(client, program_links):
    page = client.get("/programs/byrne-jag/")

    assert page.context["ruling_count"] == 1
    assert page.context["lawsuit_count"] == 1
    assert "Secret draft policy" not in text_of(page)


@pytest.mark.parametrize("url", ["/rulings/", "/lawsuits/", "/timeline/", "/rulings/feed/"])
def test_a_draft_policy_is_no_filter_value(client, program_links, url):
    assert client.get(f"{url}?policy=draft-policy").status_code == 400
